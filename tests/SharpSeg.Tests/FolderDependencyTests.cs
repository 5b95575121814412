using Mono.Cecil;
using Mono.Cecil.Cil;
using Xunit;
using Xunit.Abstractions;

namespace SharpSeg.Tests;

/// <summary>The architecture test: which top-level folders (namespaces <c>SharpSeg.X</c>) of the library use which,
/// read from the compiled assembly — base types, interfaces, fields, signatures, attributes and every type, method and
/// field that a method body touches. Two folders that use each other cannot be understood or changed one at a time, so
/// no cycle may exist between top-level folders.</summary>
public sealed class FolderDependencyTests(ITestOutputHelper output)
{
    /// <summary>Cycle edges tolerated for now: none. (Until 2026-12-04 checkpoints in Training, the ONNX graph builder beside
    /// the exporter, the metrics log in Training and the Predictor calling Evaluator.PredictMask tied Evaluation,
    /// Inference, Models, Onnx, Reports, SelfSupervised and Training into one knot.) Should a cycle ever have to be
    /// accepted for a while, list its edges here: the test then fails both on any other cycle edge and when a listed
    /// edge is no longer in a cycle, so the list only shrinks.</summary>
    static readonly HashSet<(string From, string To)> KnownCycleEdges = [];

    [Fact]
    public void TopLevelFoldersHaveNoImportCycles()
    {
        var graph = FolderGraph(typeof(SharpSeg.SharpSegException).Assembly.Location);
        foreach (var (from, tos) in graph.OrderBy(g => g.Key)) output.WriteLine($"{from} -> {string.Join(", ", tos.Order())}");
        var cyclic = new List<string>();
        var cycleEdges = new HashSet<(string, string)>();
        foreach (var component in StronglyConnected(graph).Where(c => c.Count > 1))
        {
            var edges = component.SelectMany(a => graph[a].Where(component.Contains).Select(b => (a, b))).ToList();
            cycleEdges.UnionWith(edges);
            var unknown = edges.Where(e => !KnownCycleEdges.Contains(e)).ToList();
            if (unknown.Count > 0)
                cyclic.Add($"{{{string.Join(", ", component.Order())}}} via {string.Join(", ", unknown.Select(e => $"{e.a} -> {e.b} ({Witness(e.a, e.b)})"))}");
        }
        Assert.True(cyclic.Count == 0, "new import cycles between top-level folders: " + string.Join("; ", cyclic));
        var gone = KnownCycleEdges.Where(e => !cycleEdges.Contains(e)).Select(e => $"{e.From} -> {e.To}").ToList();
        Assert.True(gone.Count == 0, "no longer in a cycle, delete from KnownCycleEdges: " + string.Join(", ", gone));
    }

    [Fact]
    public void TheCycleFinderFindsACycle()
    {
        var g = new Dictionary<string, HashSet<string>> { ["A"] = ["B"], ["B"] = ["C"], ["C"] = ["A"], ["D"] = ["A"] };
        var components = StronglyConnected(g).Where(c => c.Count > 1).ToList();
        Assert.Single(components);
        Assert.Equal(new[] { "A", "B", "C" }, components[0].Order());
    }

    readonly Dictionary<(string, string), string> witnesses = new();

    string Witness(string from, string to) => witnesses.TryGetValue((from, to), out var w) ? w : "?";

    /// <summary>Folder → folders it uses, remembering one example use per edge for the failure message.</summary>
    Dictionary<string, HashSet<string>> FolderGraph(string assemblyPath)
    {
        using var module = ModuleDefinition.ReadModule(assemblyPath);
        var graph = new Dictionary<string, HashSet<string>>();
        foreach (var type in module.GetTypes())
        {
            string? from = Folder(type);
            if (from is null) continue;
            var uses = graph.TryGetValue(from, out var u) ? u : graph[from] = [];
            void Use(TypeReference? t, string where)
            {
                foreach (var to in Folders(t, module))
                    if (to != from && uses.Add(to)) witnesses[(from, to)] = $"{type.FullName} {where}";
            }
            Use(type.BaseType, "base type");
            foreach (var i in type.Interfaces) Use(i.InterfaceType, "interface");
            foreach (var a in type.CustomAttributes) Use(a.AttributeType, "attribute");
            foreach (var f in type.Fields) Use(f.FieldType, $"field {f.Name}");
            foreach (var p in type.Properties) Use(p.PropertyType, $"property {p.Name}");
            foreach (var m in type.Methods)
            {
                Use(m.ReturnType, $"{m.Name} return");
                foreach (var p in m.Parameters) Use(p.ParameterType, $"{m.Name} parameter");
                if (!m.HasBody) continue;
                foreach (var v in m.Body.Variables) Use(v.VariableType, $"{m.Name} local");
                foreach (var ins in m.Body.Instructions)
                    switch (ins.Operand)
                    {
                        case TypeReference t: Use(t, $"{m.Name} uses {t.Name}"); break;
                        case MethodReference mr:
                            Use(mr.DeclaringType, $"{m.Name} calls {mr.DeclaringType.Name}.{mr.Name}");
                            Use(mr.ReturnType, $"{m.Name} calls {mr.Name}");
                            foreach (var p in mr.Parameters) Use(p.ParameterType, $"{m.Name} calls {mr.Name}");
                            if (mr is GenericInstanceMethod gm) foreach (var g in gm.GenericArguments) Use(g, $"{m.Name} calls {mr.Name}<>");
                            break;
                        case FieldReference fr: Use(fr.DeclaringType, $"{m.Name} reads {fr.DeclaringType.Name}.{fr.Name}"); Use(fr.FieldType, $"{m.Name} reads {fr.Name}"); break;
                    }
            }
        }
        return graph;
    }

    /// <summary>The library folders a type reference names, through arrays, pointers, generic arguments and nesting.</summary>
    static IEnumerable<string> Folders(TypeReference? t, ModuleDefinition module)
    {
        if (t is null || t is GenericParameter) yield break;
        if (t is GenericInstanceType gi)
            foreach (var a in gi.GenericArguments)
                foreach (var f in Folders(a, module)) yield return f;
        if (t is TypeSpecification spec)
        {
            foreach (var f in Folders(spec.ElementType, module)) yield return f;
            yield break;
        }
        if (t.Scope != module && t.Module != module) yield break;
        var outer = t;
        while (outer.DeclaringType is not null) outer = outer.DeclaringType;
        if (Folder(outer.Namespace) is { } folder) yield return folder;
    }

    static string? Folder(TypeDefinition type)
    {
        var outer = type;
        while (outer.DeclaringType is not null) outer = outer.DeclaringType;
        return Folder(outer.Namespace);
    }

    /// <summary><c>SharpSeg.Inference.Tiles</c> → <c>Inference</c>; the root namespace <c>SharpSeg</c> → <c>(root)</c>;
    /// anything else (compiler-generated, <c>&lt;Module&gt;</c>) → null.</summary>
    static string? Folder(string ns) =>
        ns == "SharpSeg" ? "(root)" : ns.StartsWith("SharpSeg.", StringComparison.Ordinal) ? ns.Split('.')[1] : null;

    /// <summary>Tarjan's strongly connected components.</summary>
    static List<HashSet<string>> StronglyConnected(Dictionary<string, HashSet<string>> graph)
    {
        int index = 0;
        var indices = new Dictionary<string, int>();
        var low = new Dictionary<string, int>();
        var stack = new Stack<string>();
        var onStack = new HashSet<string>();
        var result = new List<HashSet<string>>();
        void Visit(string v)
        {
            indices[v] = low[v] = index++;
            stack.Push(v);
            onStack.Add(v);
            foreach (var w in graph.TryGetValue(v, out var ws) ? ws : [])
            {
                if (!indices.ContainsKey(w)) { Visit(w); low[v] = Math.Min(low[v], low[w]); }
                else if (onStack.Contains(w)) low[v] = Math.Min(low[v], indices[w]);
            }
            if (low[v] != indices[v]) return;
            var component = new HashSet<string>();
            string x;
            do { x = stack.Pop(); onStack.Remove(x); component.Add(x); } while (x != v);
            result.Add(component);
        }
        foreach (var v in graph.Keys.ToList()) if (!indices.ContainsKey(v)) Visit(v);
        return result;
    }
}
