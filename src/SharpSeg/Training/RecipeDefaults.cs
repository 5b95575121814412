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
          check: auto           # before training, decode every train and val file and stop on any problem: auto (up to 2000 pairs), true, false
          max_pixels: 256M      # refuse an image or mask whose header claims more pixels (width × height; K/M/G suffixes)
        model:
          architecture: unet
          encoder: unet
          depth: 4              # number of downsampling stages
          base_width: 32        # channels of the first stage; doubles per stage
          batch_norm: true      # plain unet encoder and unet/unetplusplus decoders only (the others always use BatchNorm)
          dropout: 0.0          # unet decoder only: channel dropout before the head (other heads keep their published dropout)
          upsampling: bilinear  # unet decoder only: bilinear | transposed | nearest (segmentation_models.pytorch's U-Net)
          padding: reflect      # how inputs are padded to a multiple of the output stride: reflect | replicate | zeros
          output_stride: null   # 8 | 16 | 32 for dilated encoders (ResNet, MobileNet); null = the architecture's default
          aux_head: false       # auxiliary head on a middle encoder stage (FCN, DeepLab, PSPNet), trained with loss.aux_weight
          aspp_rates: null      # deeplabv3/deeplabv3plus only: ASPP dilation rates; null = by output stride
          head_kernel: 1        # segmentation head kernel: 1, or 3 as in segmentation_models.pytorch (not lraspp: it has no separate head)
          encoder_weights: null # null | imagenet (encoder resnet18_imagenet, offline) | path to .safetensors/.pth/.pt (torchvision, SMP or SharpSeg keys) or a SharpSeg .ckpt (training checkpoint, or encoder checkpoint from 'sharpseg pretrain')
          freeze_encoder: false # keep encoder weights and BatchNorm statistics fixed for the whole run
          init_weights: null    # initial weights for the whole model: .safetensors/.pth/.pt (SMP, torchvision segmentation or SharpSeg keys), or a training checkpoint (.ckpt) to continue from with a new recipe
          init_strict: true     # false: load what fits from init_weights; tensors it lacks or has in another shape (another num_classes, an added decoder part) start fresh, and the log lists them; at least half must fit
          drop_path: 0.1        # MiT encoders only: stochastic depth: last block's drop probability, rising from 0
          num_queries: null     # mask2former only: learned queries (masks predicted per image); null = 100
          hidden_dim: null      # mask2former only: pixel/transformer decoder width (8 heads, FFN 8x); null = 256
          decoder_layers: null  # mask2former only: transformer decoder layers over the 1/32, 1/16, 1/8 maps in turn; null = 9
          masked_attention: true  # mask2former only: masked cross-attention (false: plain cross-attention)
          decoder_channels: null  # decoder widths: unet one per stage, full resolution first; unetplusplus its node widths; fpn [pyramid, segmentation] (null = [256, 128]); others have fixed widths
          decoder_stride: null  # fpn only: output stride 4 (null) or 2 (a refinement with the encoder's stride-2 features, for thin structures)
          encoder_depth: null   # resnet encoders under fpn or unet: stages kept, 5 (null: all), 4 (no layer4: stride 16, fewer MACs) or 3
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
          rare_crop_p: 0.0      # probability that a crop is centred on a pixel of a rare class
          rare_classes: auto    # class indices, e.g. [3, 7], or auto (classes below rare_share of the labelled pixels)
          rare_share: 0.01      # auto: share of labelled pixels under which a class is rare
          cat_max_ratio: 1.0    # redraw a crop (up to 10 times) when one class covers more than this share; 1 = off
        normalize: imagenet     # imagenet | dataset (mean/std measured on the training images) | none
        # Losses (docs/LOSSES.md): one name, or several joined by '+' with one weight each, e.g. name: ce+dice, weights: [1.0, 0.5].
        loss:
          name: ce              # ce | bce | focal | dice | tversky | focal_tversky | jaccard | lovasz | lovasz_hinge | boundary | ohem, or a+b
          weights: null         # one per '+' term; null = all 1
          terms: null           # alternative to name + weights: a list of {name: weight}, e.g. [{ce: 1.0}, {dice: 0.5}]
          mode: multiclass      # multiclass (softmax) | binary (a sigmoid per channel, one channel per dataset class: one-vs-rest)
          class_weights: none   # none | inverse | median (median-frequency balancing) | effective (Cui et al. 2019) | a list, one per class
          effective_beta: 0.9999  # beta of class_weights: effective
          class_weight_max: null  # computed class weights (inverse, median, effective) above this are lowered to it; null = no cap
          label_smoothing: 0.0  # ce
          focal_gamma: 2.0      # focal
          focal_alpha: null     # focal in binary mode only: weight of positives in [0, 1]
          dice_smooth: 1.0      # dice, tversky, focal_tversky, jaccard
          dice_per_class: true  # dice: mean of per-class losses (true) or one global coefficient (false)
          dice_log_cosh: false  # dice: log(cosh(loss))
          tversky_alpha: 0.3    # tversky, focal_tversky: weight of false positives
          tversky_beta: 0.7     # tversky, focal_tversky: weight of false negatives
          tversky_gamma: 0.75   # focal_tversky: exponent on (1 - Tversky index)
          lovasz_per_image: false
          ohem_thresh: 0.7      # ohem: keep pixels whose target probability is below this
          ohem_min_kept: 0.1    # ohem: and at least this many: below 1 a share of the batch's labelled pixels, 1 or more pixels per image
          boundary_weight: 3.0  # boundary: weight of pixels near a class boundary (others 1)
          boundary_width: 1     # boundary: pixels either side of a boundary
          aux_weight: 0.4       # weight of the auxiliary head's loss (model.aux_head: true only); PSPNet paper and MMSegmentation: 0.4
          thing_classes: null   # mask2former only: classes whose connected components are separate ground-truth masks (panoptic training, 8-connected); null = one mask per class
        optimizer:
          name: adamw           # adamw | sgd
          lr: 0.001
          weight_decay: 0.0001
          momentum: 0.9         # sgd only
          grad_clip: 0.0        # max gradient norm; 0 = off
          encoder_lr_mult: 1.0  # encoder learning rate = lr × this (e.g. 0.1 for pretrained encoders)
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
          workers: 2            # background threads decoding and augmenting; 0 = on the training thread
          device: cpu           # cpu | cuda | auto
          log_every: 10         # iterations between metrics-log lines
          tensorboard: false    # also write TensorBoard event files into RUN/tensorboard (curves are always drawn into RUN/curves)
          freeze_encoder_iters: 0 # keep the encoder fixed for the first N iterations (decoder warm-up), then train it
          precision: fp32       # fp32 | bf16 (the forward pass in bfloat16 by libtorch's autocast, fp32 master weights; for CPUs with AVX512_BF16 or AMX)
          channels_last: auto   # auto | true | false: convolutions on NHWC batches (auto: on for the CPU with AVX-512 and oneDNN, where it is faster)
          skip_nonfinite: 0     # batches with a NaN/inf loss or gradient that may be skipped (with a warning) before the run stops; 0 = stop at the first
        """;
}
