using YamlDotNet.RepresentationModel;
using SharpSeg.Data.Dataset;

namespace SharpSeg.Curation.Simulation;

/// <summary>
/// Writes a subset of a dataset split as a list-file split: <c>LIST.txt</c> (<c>image_path mask_path</c> lines, absolute)
/// and a dataset.yaml that is the original with an absolute root and the subset as the training split (other splits
/// unchanged), so a recipe trains on exactly the chosen images.
/// </summary>
public static class ListFileDataset
{
    /// <summary>Writes <paramref name="pairs"/> as split <paramref name="split"/> into <paramref name="folder"/> (list.txt, dataset.yaml); returns the yaml path.</summary>
    public static string Write(DatasetSpec spec, string split, IEnumerable<SamplePair> pairs, string folder)
    {
        Directory.CreateDirectory(folder);
        string list = Path.GetFullPath(Path.Combine(folder, "list.txt"));
        var lines = new List<string> { $"# {split} subset of {spec.SourcePath}" };
        foreach (var p in pairs)
        {
            if (p.MaskPath == null) throw new SharpSegException(p.FillClass != null
                ? $"{p.ImagePath}: has no mask file (read through mask.missing); the simulation writes list files of image and mask files: save its mask as a file first."
                : $"{p.ImagePath}: has no mask; a training subset needs labelled images.");
            if (p.ImagePath.Contains(' ') || p.MaskPath.Contains(' '))
                throw new SharpSegException($"{p.ImagePath}: list files cannot hold paths with spaces; move the dataset to a path without spaces.");
            lines.Add($"{p.ImagePath} {p.MaskPath}");
        }
        File.WriteAllLines(list, lines);
        var stream = Configuration.YamlLoader.Load(File.ReadAllText(spec.SourcePath), spec.SourcePath);
        var top = (YamlMappingNode)stream.Documents[0].RootNode;
        top.Children[new YamlScalarNode("root")] = new YamlScalarNode(spec.Root);
        var splits = (YamlMappingNode)top.Children[new YamlScalarNode("splits")];
        splits.Children[new YamlScalarNode(split)] = new YamlMappingNode { { "list", list } };
        string yaml = Path.Combine(folder, "dataset.yaml");
        using (var w = new StreamWriter(yaml)) stream.Save(w, assignAnchors: false);
        return yaml;
    }
}
