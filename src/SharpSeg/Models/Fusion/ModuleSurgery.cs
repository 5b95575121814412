using System.Reflection;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SharpSeg.Models.Fusion;

/// <summary>Replaces a child module inside its parent for inference-time rewrites (BatchNorm folding). TorchSharp has no
/// public API for this, so it updates the parent's registry and the place its forward reads the child from: the item
/// list of a Sequential, or the parent's field that holds the child.</summary>
internal static class ModuleSurgery
{
    const BindingFlags InstanceFields = BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly;

    public static void ReplaceChild(nn.Module parent, string name, nn.Module oldChild, nn.Module<Tensor, Tensor> replacement)
    {
        bool replaced = false;
        if (parent is Sequential)
        {
            var names = (List<string>)Field(typeof(Sequential), "_names").GetValue(parent)!;
            var items = (List<nn.IModule<Tensor, Tensor>>)Field(typeof(Sequential), "_modules").GetValue(parent)!;
            int i = names.IndexOf(name);
            if (i >= 0 && ReferenceEquals(items[i], oldChild)) { items[i] = replacement; replaced = true; }
        }
        else
        {
            for (var t = parent.GetType(); t is not null && t != typeof(nn.Module); t = t.BaseType)
                foreach (var f in t.GetFields(InstanceFields))
                    if (ReferenceEquals(f.GetValue(parent), oldChild)) { f.SetValue(parent, replacement); replaced = true; }
        }
        if (!replaced)
            throw new InvalidOperationException($"cannot replace module '{name}' ({oldChild.GetType().Name}) inside {parent.GetType().Name}");
        var registry = (TorchSharp.Utils.OrderedDict<string, nn.Module>)Field(typeof(nn.Module), "_internal_submodules").GetValue(parent)!;
        registry[name] = replacement;
    }

    static FieldInfo Field(Type type, string name) =>
        type.GetField(name, InstanceFields) ?? throw new InvalidOperationException($"TorchSharp's {type.Name} has no field {name} (TorchSharp version changed?)");
}
