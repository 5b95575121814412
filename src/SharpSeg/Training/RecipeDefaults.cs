namespace SharpSeg.Training;

/// <summary>
/// Every key a training recipe may contain, with its default. A recipe file overlays these; a key not listed here is
/// an error (with the nearest valid key). This text is also what `sharpseg train --print-defaults` shows.
/// </summary>
public static class RecipeDefaults
{
    public const string Yaml = """
        # Dataset: a dataset.yaml (path relative to this recipe), and which splits to train and validate on.
        data:
          dataset: null
          data_root: null
          train_split: train
          val_split: val
          cache: auto           # keep decoded images in memory: auto (when the split is small), true, false
        model:
          architecture: unet
          encoder: unet
          depth: 4              # number of downsampling stages
          base_width: 32        # channels of the first stage; doubles per stage
          batch_norm: true
          dropout: 0.0
          upsampling: bilinear  # bilinear | transposed
          padding: reflect      # how inputs are padded to a multiple of the output stride: reflect | replicate | zeros
        # Applied to image and mask together during training; evaluation sees whole, unaugmented images.
        augment:
          scale: [0.5, 2.0]     # random rescale range; [1, 1] disables
          crop: [256, 256]      # [height, width] random crop, padded with ignore where the image is smaller
          hflip: 0.5
          vflip: 0.0
          rotate: 0.0           # max degrees either way
          brightness: 0.2
          contrast: 0.2
          saturation: 0.2
          hue: 0.0
          blur: 0.0             # probability of a Gaussian blur
          noise: 0.0            # probability of Gaussian noise
        normalize: imagenet     # imagenet | dataset (mean/std measured on the training images) | none
        loss:
          name: ce
          class_weights: none   # none | inverse | median (median-frequency balancing) | a list, one per class
          label_smoothing: 0.0
        optimizer:
          name: adamw           # adamw | sgd
          lr: 0.001
          weight_decay: 0.0001
          momentum: 0.9         # sgd only
          grad_clip: 0.0        # max gradient norm; 0 = off
        schedule:
          name: poly            # poly | cosine | step | constant
          warmup_iters: 0
          warmup_ratio: 0.1
          power: 0.9
          min_lr: 0.0
          step_size: 0          # step: iterations between decays
          gamma: 0.1
        eval:
          scale: 1.0            # resize images by this factor for inference (logits resized back; metrics at full size)
        train:
          epochs: 50            # budget in epochs, unless iterations > 0
          iterations: 0
          batch_size: 8
          val_every: 1          # validate every N epochs (or every N iterations when the budget is in iterations)
          early_stop_patience: 0  # validations without improvement before stopping; 0 = never
          seed: 42
          threads: 0            # CPU threads for libtorch; 0 = all cores
          workers: 2            # background threads decoding and augmenting
          device: cpu           # cpu | cuda | auto
          log_every: 10         # iterations between metrics-log lines
        """;
}
