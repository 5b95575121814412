using SharpSeg.Training;

namespace SharpSeg.Tests.Training;

/// <summary>Every recipe key (from the defaults) and a value's text, for tests that compare shipped recipes key by key.</summary>
internal static class RecipeKeys
{
    public static IReadOnlyList<string> All() =>
        Flat(new YamlDotNet.Serialization.Deserializer().Deserialize<Dictionary<string, object>>(RecipeDefaults.Yaml), "").ToList();

    /// <summary>The keys whose values differ between two recipes, with both values.</summary>
    public static IEnumerable<string> Differences(TrainingRecipe a, TrainingRecipe b) =>
        All().Where(k => Text(a.Tree.GetRaw(k)) != Text(b.Tree.GetRaw(k))).Select(k => $"{k}: {Text(a.Tree.GetRaw(k))} / {Text(b.Tree.GetRaw(k))}");

    public static string Text(object? value) =>
        value is System.Collections.IEnumerable list and not string ? "[" + string.Join(", ", list.Cast<object?>().Select(Text)) + "]" : value?.ToString() ?? "null";

    static IEnumerable<string> Flat(Dictionary<string, object> node, string prefix) =>
        node.SelectMany(kv => kv.Value is Dictionary<object, object> child
            ? Flat(child.ToDictionary(c => c.Key.ToString()!, c => c.Value), prefix + kv.Key + ".")
            : [prefix + kv.Key]);
}
