namespace SharpSeg.Pretrained;

/// <summary>How the keys of a weights file are named (docs/PRETRAINED.md has the full key mapping).</summary>
public enum StateDictLayout
{
    /// <summary>SharpSeg's own keys: <c>encoder.*</c> (torchvision names below the prefix), <c>decoder.*</c>, <c>head.*</c>, <c>aux.*</c>;
    /// a bare SharpSeg encoder's keys are the torchvision ones (<see cref="Torchvision"/>).</summary>
    SharpSeg,

    /// <summary>A torchvision classifier or bare backbone: <c>conv1.weight</c>, <c>layer1.0.bn1.running_mean</c>,
    /// <c>features.3.block.0.0.weight</c>, with <c>fc.*</c> / <c>classifier.*</c> (not used by an encoder).</summary>
    Torchvision,

    /// <summary>A torchvision segmentation model (<c>fcn_*</c>, <c>deeplabv3_*</c>, <c>lraspp_*</c>): <c>backbone.*</c>,
    /// <c>classifier.*</c>, <c>aux_classifier.*</c>.</summary>
    TorchvisionSegmentation,

    /// <summary>segmentation_models.pytorch: <c>encoder.*</c> (torchvision names), <c>decoder.blocks.N.conv1.0.weight</c>, <c>segmentation_head.0.*</c>.</summary>
    Smp,
}
