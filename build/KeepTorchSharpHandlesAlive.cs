using System;
using System.IO;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;
using Mono.Cecil;
using Mono.Cecil.Cil;

// Closes a GC hole in TorchSharp 0.107 (a use-after-free; docs/TRAINING.md, "Why runs died at random").
//
// TorchSharp passes native handles to libtorch like this:  THSTensor_add_scalar_(Handle, scalar.Handle, alpha.Handle).
// Once `.Handle` has been read, the optimising JIT no longer reports `scalar` and `alpha` as live. A Scalar made
// implicitly from a number (`t.add_(1)`, `p.mul_(beta1)`, BatchNorm's `num_batches_tracked.add_(1)`, every optimiser
// step) is referenced by nothing else, so a garbage collection started by ANY other thread while libtorch runs can
// collect it, and the finalizer thread then deletes the native at::Scalar (or at::Tensor) that libtorch is still
// reading. Its memory is soon reused: libtorch then sees a different value or type ("For integral input tensors,
// argument alpha must not be a floating point number", "Unknown scalar type", wrong optimiser steps, NaN, a crashed
// process). How often depends only on how often another thread triggers a GC, so it differs from machine to machine.
//
// The fix, in the COPY of TorchSharp.dll in the build output: the `Handle` getters of Tensor, Scalar and Generator
// first store `this` in a per-thread ring of the last 1024 objects whose handle was read. An object whose handle is
// passed to libtorch therefore stays reachable until its thread has read 1024 more handles, which cannot happen while
// that thread is inside the native call. Nothing else changes (the getters' results, disposal, dispose scopes). The
// NuGet package cache is never touched. Idempotent: an assembly that already has the ring is left as it is.
public class KeepTorchSharpHandlesAlive : Task
{
    [Required] public string AssemblyPath { get; set; } = "";

    public const string KeeperTypeName = "NativeHandleKeeper";
    const int RingSize = 1024; // a power of two (the index wraps with a mask)

    static readonly string[] HandleOwners = { "TorchSharp.torch/Tensor", "TorchSharp.Scalar", "TorchSharp.torch/Generator" };

    public override bool Execute()
    {
        string tmp = AssemblyPath + ".keepalive.tmp";
        try
        {
            using (var assembly = AssemblyDefinition.ReadAssembly(AssemblyPath, new ReaderParameters { InMemory = true }))
            {
                var module = assembly.MainModule;
                if (module.GetType("TorchSharp", KeeperTypeName) != null)
                {
                    Log.LogMessage(MessageImportance.Low, $"{AssemblyPath}: TorchSharp handles are already kept alive.");
                    return true;
                }
                var keep = AddKeeper(module);
                int patched = 0;
                foreach (var type in module.GetTypes())
                {
                    if (Array.IndexOf(HandleOwners, type.FullName) < 0) continue;
                    foreach (var method in type.Methods)
                    {
                        if (method.Name != "get_Handle" || method.IsStatic || !method.HasBody) continue;
                        var il = method.Body.GetILProcessor();
                        var first = method.Body.Instructions[0];
                        il.InsertBefore(first, il.Create(OpCodes.Ldarg_0));
                        il.InsertBefore(first, il.Create(OpCodes.Call, keep));
                        patched++;
                    }
                }
                if (patched != HandleOwners.Length)
                {
                    Log.LogError($"{AssemblyPath}: expected {HandleOwners.Length} Handle getters (Tensor, Scalar, Generator) but found {patched}; this TorchSharp version needs the keep-alive fix reviewed (build/KeepTorchSharpHandlesAlive.cs).");
                    return false;
                }
                assembly.Write(tmp);
            }
            // Write to a temp file and rename: a half-written assembly must never be left behind.
            File.Copy(tmp, AssemblyPath, true);
            Log.LogMessage(MessageImportance.High, $"SharpSeg: TorchSharp handles kept alive during native calls in {AssemblyPath}.");
            return true;
        }
        finally
        {
            if (File.Exists(tmp)) File.Delete(tmp);
        }
    }

    // internal static class NativeHandleKeeper
    // {
    //     [ThreadStatic] static object[] ring; [ThreadStatic] static int next;
    //     internal static void Keep(object o) { var r = ring ??= new object[RingSize]; next = (next + 1) & (RingSize - 1); r[next] = o; }
    // }
    static MethodDefinition AddKeeper(ModuleDefinition module)
    {
        var objectType = module.TypeSystem.Object;
        var arrayType = new ArrayType(objectType);
        var keeper = new TypeDefinition("TorchSharp", KeeperTypeName,
            TypeAttributes.NotPublic | TypeAttributes.Abstract | TypeAttributes.Sealed | TypeAttributes.BeforeFieldInit, objectType);
        module.Types.Add(keeper);
        var threadStatic = module.ImportReference(typeof(ThreadStaticAttribute).GetConstructor(Type.EmptyTypes));
        var ring = new FieldDefinition("ring", FieldAttributes.Private | FieldAttributes.Static, arrayType);
        var next = new FieldDefinition("next", FieldAttributes.Private | FieldAttributes.Static, module.TypeSystem.Int32);
        ring.CustomAttributes.Add(new CustomAttribute(threadStatic));
        next.CustomAttributes.Add(new CustomAttribute(threadStatic));
        keeper.Fields.Add(ring);
        keeper.Fields.Add(next);

        var keep = new MethodDefinition("Keep", MethodAttributes.Assembly | MethodAttributes.Static | MethodAttributes.HideBySig, module.TypeSystem.Void);
        keep.Parameters.Add(new ParameterDefinition("o", ParameterAttributes.None, objectType));
        keeper.Methods.Add(keep);
        var r = new VariableDefinition(arrayType);
        var i = new VariableDefinition(module.TypeSystem.Int32);
        keep.Body.Variables.Add(r);
        keep.Body.Variables.Add(i);
        keep.Body.InitLocals = true;
        var il = keep.Body.GetILProcessor();
        var haveRing = il.Create(OpCodes.Nop);
        il.Emit(OpCodes.Ldsfld, ring);
        il.Emit(OpCodes.Dup);
        il.Emit(OpCodes.Stloc, r);
        il.Emit(OpCodes.Brtrue_S, haveRing);
        il.Emit(OpCodes.Ldc_I4, RingSize);
        il.Emit(OpCodes.Newarr, objectType);
        il.Emit(OpCodes.Dup);
        il.Emit(OpCodes.Stsfld, ring);
        il.Emit(OpCodes.Stloc, r);
        il.Append(haveRing);
        il.Emit(OpCodes.Ldsfld, next);
        il.Emit(OpCodes.Ldc_I4_1);
        il.Emit(OpCodes.Add);
        il.Emit(OpCodes.Ldc_I4, RingSize - 1);
        il.Emit(OpCodes.And);
        il.Emit(OpCodes.Dup);
        il.Emit(OpCodes.Stsfld, next);
        il.Emit(OpCodes.Stloc, i);
        il.Emit(OpCodes.Ldloc, r);
        il.Emit(OpCodes.Ldloc, i);
        il.Emit(OpCodes.Ldarg_0);
        il.Emit(OpCodes.Stelem_Ref);
        il.Emit(OpCodes.Ret);
        return keep;
    }
}
