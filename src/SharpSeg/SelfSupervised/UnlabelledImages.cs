using SharpSeg.Imaging;

namespace SharpSeg.SelfSupervised;

/// <summary>Finds the images a pretraining run learns from: folders, single files and list files, labels never needed.</summary>
public static class UnlabelledImages
{
    /// <summary>File extensions read as images (case-insensitive): the dataset layer's.</summary>
    public static IReadOnlyList<string> Extensions => ImageFolder.Extensions;

    /// <summary>
    /// The image files named by <paramref name="inputs"/>, as absolute paths, in order, without duplicates: a folder gives
    /// the images directly inside it (sorted by name; sub-folders are not searched); an image file gives itself; a
    /// <c>.txt</c> file gives the first path of each line (relative to the list's folder; <c>#</c> starts a comment, so
    /// a dataset's split list works). A missing input, or no image at all, is a <see cref="SharpSegException"/>.
    /// </summary>
    public static IReadOnlyList<string> Find(IEnumerable<string> inputs)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        var found = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        int given = 0;
        foreach (var input in inputs)
        {
            given++;
            string full = Path.GetFullPath(input);
            IEnumerable<string> files;
            if (Directory.Exists(full))
            {
                files = ImageFolder.List(full);
                if (!files.Any()) throw new SharpSegException($"{input}: folder has no images ({string.Join(", ", Extensions)}); give the folder that holds them (sub-folders are not searched).");
            }
            else if (File.Exists(full) && Path.GetExtension(full).Equals(".txt", StringComparison.OrdinalIgnoreCase))
            {
                files = ReadList(full, input);
            }
            else if (File.Exists(full))
            {
                if (!ImageFolder.IsImage(full)) throw new SharpSegException($"{input}: not an image file ({string.Join(", ", Extensions)}) or a .txt list of images.");
                files = [full];
            }
            else throw new SharpSegException($"{input}: no such folder or file; give a folder of images, an image, or a .txt list of images.");
            foreach (var f in files) if (seen.Add(f)) found.Add(f);
        }
        if (given == 0) throw new SharpSegException("no images given: pass --images DIR (repeatable).");
        return found;
    }

    static List<string> ReadList(string listPath, string shown)
    {
        string dir = Path.GetDirectoryName(listPath)!;
        var files = new List<string>();
        int lineNo = 0;
        foreach (var raw in File.ReadLines(listPath))
        {
            lineNo++;
            string line = raw.Split('#')[0].Trim();
            if (line.Length == 0) continue;
            string first = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries)[0];
            string path = Path.GetFullPath(Path.Combine(dir, first));
            if (!File.Exists(path)) throw new SharpSegException($"{shown}:{lineNo}: image '{first}' not found (paths are relative to the list's folder).");
            files.Add(path);
        }
        if (files.Count == 0) throw new SharpSegException($"{shown}: list names no images.");
        return files;
    }
}
