namespace SharpSeg;
public static class Engine { public static string Probe() { using var t = TorchSharp.torch.ones(2, 2); return (t.sum().item<float>()).ToString(); } }
