using TorchSharp;
using static TorchSharp.torch;

namespace SharpSeg.Models;

/// <summary>
/// Counts the multiply-accumulates (MACs) of one forward pass by forward hooks on every Conv2d, ConvTranspose2d, Linear,
/// BatchNorm2d, LayerNorm and MiT attention: conv <c>out.numel() · C_in/groups · kh · kw</c> (transposed:
/// <c>in.numel() · C_out/groups · kh · kw</c>), linear <c>out.numel() · in_features</c> (any number of leading
/// dimensions), BatchNorm and LayerNorm one per output element, attention the two products <c>q·kᵀ</c> and
/// <c>attn·v</c> (<c>2 · B · N · M · C</c>, N queries, M reduced keys). Activations, softmax, pooling, interpolation and
/// additions are not counted (as in torchvision's and fvcore's figures).
/// Only layers invoked through <c>call</c> (as SharpSeg's modules and TorchSharp's Sequential do) are seen.
/// </summary>
public static class FlopCounter
{
    /// <summary>MACs of <c>model.call(input)</c> in eval mode without gradients; the model's training flag is restored.</summary>
    public static long CountMacs(nn.Module<Tensor, Tensor> model, Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        return CountMacs(model, () => model.call(input));
    }

    /// <summary>MACs of the layers of <paramref name="model"/> that <paramref name="forward"/> runs (e.g. an encoder's
    /// <c>forward</c>), in eval mode without gradients; the model's training flag is restored.</summary>
    public static long CountMacs(nn.Module model, Action forward)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(forward);
        long macs = 0;
        var handles = new List<Action>();
        foreach (var (_, m) in model.named_modules())
        {
            switch (m)
            {
                case TorchSharp.Modules.Conv2d conv:
                    handles.Add(conv.register_forward_hook((mod, x, y) =>
                    {
                        var w = conv.weight!.shape;
                        macs += y.numel() * w[1] * w[2] * w[3];
                        return y;
                    }).remove);
                    break;
                case TorchSharp.Modules.ConvTranspose2d convT:
                    handles.Add(convT.register_forward_hook((mod, x, y) =>
                    {
                        var w = convT.weight!.shape; // [C_in, C_out/groups, kh, kw]
                        macs += x.numel() * w[1] * w[2] * w[3];
                        return y;
                    }).remove);
                    break;
                case TorchSharp.Modules.Linear linear:
                    handles.Add(linear.register_forward_hook((mod, x, y) => { macs += y.numel() * linear.weight!.shape[1]; return y; }).remove);
                    break;
                case TorchSharp.Modules.BatchNorm2d bn:
                    handles.Add(bn.register_forward_hook((mod, x, y) => { macs += y.numel(); return y; }).remove);
                    break;
                case TorchSharp.Modules.LayerNorm ln:
                    handles.Add(ln.register_forward_hook((mod, x, y) => { macs += y.numel(); return y; }).remove);
                    break;
                case MaskClassification.MaskFormerDecoder maskFormer:
                    handles.Add(maskFormer.register_forward_hook((mod, x, y) => { macs += maskFormer.ProductMacs(y.shape); return y; }).remove);
                    break;
                case Encoders.MixTransformer.EfficientSelfAttention attention:
                    handles.Add(attention.register_forward_hook((mod, x, y) => { macs += attention.AttentionMacs(x.shape); return y; }).remove);
                    break;
            }
        }
        bool wasTraining = model.training;
        try
        {
            model.eval();
            using var noGrad = torch.no_grad();
            using var scope = torch.NewDisposeScope();
            forward();
        }
        finally
        {
            foreach (var remove in handles) remove();
            model.train(wasTraining);
        }
        return macs;
    }
}
