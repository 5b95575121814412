using SharpSeg.Data;
using SharpSeg.Data.Augmentation;
using SharpSeg.Imaging;
using SharpSeg.Training;
using Xunit;
using SharpSeg.Data.Loading;

namespace SharpSeg.Tests.Data;

/// <summary>Rare-class crops and MMSegmentation's cat_max_ratio in <see cref="RandomCrop"/>.</summary>
public sealed class RareClassCropTests
{
    /// <summary>A w×h sample of class <paramref name="fill"/>; <paramref name="set"/> paints single pixels or blocks.</summary>
    private static SegmentationSample Sample(int w, int h, byte fill, Action<byte[], int> set)
    {
        var mask = new LabelMask(w, h);
        Array.Fill(mask.Labels, fill);
        set(mask.Labels, w);
        var img = new RgbImage(w, h, 3);
        for (int i = 0; i < w * h; i++) img.Pixels[3 * i] = mask.Labels[i]; // the image's red channel carries the label
        return new SegmentationSample("s", img, mask);
    }

    private static bool Dominated(LabelMask m, double ratio)
    {
        var counts = m.Labels.Where(v => v != LabelMask.Ignore).GroupBy(v => v).Select(g => g.Count()).ToArray();
        return !(counts.Length > 1 && counts.Max() < ratio * counts.Sum());
    }

    [Fact]
    public void CropIsCentredOnARarePixelWithTheGivenProbability()
    {
        // 32×32 of class 0 with two class-3 pixels well inside; 8×8 crops, p = 0.3. An ordinary random crop puts its
        // centre (4, 4) on one of the two pixels for 2 of 25·25 origins (0.32 %), so the expected share of centred crops
        // is 0.3 + 0.7·0.0032 ≈ 0.302; over 2000 seeded draws its standard deviation is about 0.01.
        var s = Sample(32, 32, 0, (m, w) => { m[12 * w + 14] = 3; m[20 * w + 18] = 3; });
        var crop = new RandomCrop(8, 8, rareClasses: [3], rareCropP: 0.3);
        int centred = 0;
        for (int seed = 0; seed < 2000; seed++)
        {
            var o = crop.Apply(s, new Random(seed));
            if (o.Mask.Labels[4 * 8 + 4] == 3) centred++;
        }
        Assert.InRange(centred / 2000.0, 0.302 - 0.04, 0.302 + 0.04);
        // Deterministic: the same seed gives the same crop.
        Assert.Equal(crop.Apply(s, new Random(5)).Mask.Labels, crop.Apply(s, new Random(5)).Mask.Labels);
    }

    [Fact]
    public void RareCropsAlwaysContainARarePixelWhenPIsOne()
    {
        // Rare pixels near the border: the window is moved to stay inside the sample, so the pixel is in the crop but
        // not necessarily at its centre. Both rare pixels are chosen, about equally often.
        var s = Sample(20, 16, 1, (m, w) => { m[0 * w + 1] = 4; m[15 * w + 19] = 5; });
        var crop = new RandomCrop(6, 6, rareClasses: [4, 5], rareCropP: 1);
        int four = 0;
        for (int seed = 0; seed < 400; seed++)
        {
            var labels = crop.Apply(s, new Random(seed)).Mask.Labels;
            Assert.Contains(labels, v => v is 4 or 5);
            if (labels.Contains((byte)4)) four++;
        }
        Assert.InRange(four, 150, 250);
    }

    [Fact]
    public void WithoutRarePixelsTheCropIsAnOrdinaryRandomCrop()
    {
        var s = Sample(16, 16, 0, (m, w) => { for (int i = 0; i < 16; i++) m[i * w + i] = 1; });
        var plain = new RandomCrop(8, 8);
        var rareAbsent = new RandomCrop(8, 8, rareClasses: [7], rareCropP: 0); // p = 0 draws nothing extra
        for (int seed = 0; seed < 20; seed++)
            Assert.Equal(plain.Apply(s, new Random(seed)).Mask.Labels, rareAbsent.Apply(s, new Random(seed)).Mask.Labels);
    }

    [Fact]
    public void CatMaxRatioRejectsDominatedCropsWhenABetterOneExists()
    {
        // 12×12 of class 0 with a 6×6 block of class 1 in the top-left corner; 8×8 crops have 25 origins, of which 10
        // hold between 17 and 47 pixels of class 1 (both classes under 75 %). A plain crop is dominated with
        // probability 15/25 = 0.6; with cat_max_ratio 0.75 (11 draws) about 0.6^11 ≈ 0.4 %.
        var s = Sample(12, 12, 0, (m, w) => { for (int y = 0; y < 6; y++) for (int x = 0; x < 6; x++) m[y * w + x] = 1; });
        var plain = new RandomCrop(8, 8);
        var balanced = new RandomCrop(8, 8, catMaxRatio: 0.75);
        int plainDominated = 0, balancedDominated = 0;
        for (int seed = 0; seed < 500; seed++)
        {
            if (Dominated(plain.Apply(s, new Random(seed)).Mask, 0.75)) plainDominated++;
            if (Dominated(balanced.Apply(s, new Random(seed)).Mask, 0.75)) balancedDominated++;
        }
        Assert.InRange(plainDominated, 250, 350);
        Assert.InRange(balancedDominated, 0, 10);
    }

    [Fact]
    public void CatMaxRatioExcludesIgnoredPixelsAndGivesUpAfterTenRedraws()
    {
        // Class 0 everywhere but one column of class 1 and a large ignored area: ignored pixels are not counted, so a
        // window of 4 class-0 and 4 class-1 labelled pixels is balanced even though it is mostly ignore.
        var s = Sample(4, 4, LabelMask.Ignore, (m, w) => { for (int y = 0; y < 4; y++) { m[y * w] = 0; m[y * w + 1] = 1; } });
        var crop = new RandomCrop(4, 4, catMaxRatio: 0.6);
        Assert.False(Dominated(crop.Apply(s, new Random(1)).Mask, 0.6));
        // A single-class sample can never satisfy the ratio: the crop still comes back after the redraws.
        var single = Sample(10, 10, 2, (_, _) => { });
        Assert.Equal(16, new RandomCrop(4, 4, catMaxRatio: 0.75).Apply(single, new Random(3)).Mask.Labels.Count(v => v == 2));
    }

    [Fact]
    public void ScaleThenCropPipelineHonoursRareCrops()
    {
        // The fused scale + crop path looks at the scaled mask: with p = 1 every crop holds the rare class.
        var s = Sample(24, 24, 0, (m, w) => { for (int y = 10; y < 12; y++) for (int x = 10; x < 12; x++) m[y * w + x] = 2; });
        var pipeline = AugmentationPipeline.Build(new AugmentationOptions { Scale = [0.5, 2.0], Crop = [8, 8], Hflip = 0, RareClasses = [2], RareCropP = 1, CatMaxRatio = 0.9 });
        for (int seed = 0; seed < 100; seed++)
            Assert.Contains(pipeline.Apply(s, new Random(seed)).Mask.Labels, v => v == 2);
    }

    [Fact]
    public void RecipeKeysMapToTheCrop()
    {
        var r = TrainingRecipe.Load(null, ["augment.rare_crop_p=0.5", "augment.rare_classes=[3, 7]", "augment.cat_max_ratio=0.75", "augment.crop=[32, 32]"]);
        var options = RecipeBinding.Augmentation(r);
        var crop = AugmentationPipeline.Build(options).Steps.OfType<RandomCrop>().Single();
        Assert.Equal(new[] { 3, 7 }, crop.RareClasses);
        Assert.Equal((0.5, 0.75), (crop.RareCropP, crop.CatMaxRatio));
        var e = Assert.Throws<SharpSegException>(() => AugmentationPipeline.Build(options with { RareClasses = null }));
        Assert.Contains("rare_classes: auto", e.Message);
        Assert.Throws<SharpSegException>(() => new RandomCrop(8, 8, catMaxRatio: 0));
    }

    [Fact]
    public void AutoRareClassesAreThoseBelowTheShareOfLabelledPixels()
    {
        // Masks repeating 0 ×6, 1 ×1, 255 (per mask 18 pixels of class 0, 3 of class 1, class 2 absent): class 1 has
        // 1/7 ≈ 14 % of the labelled pixels: rare below a 20 % share, not below 10 %; an absent class is never rare.
        var d = new TinyDataset("rare-auto");
        foreach (var id in new[] { "a", "b" })
        {
            d.Image($"train/images/{id}.png");
            d.GrayMask($"train/masks/{id}.png", 6, 4, 0, 0, 0, 0, 0, 0, 1, 255);
        }
        string yaml = d.Yaml(TinyDataset.CleanYaml);
        Assert.Equal(new[] { 1 }, RecipeBinding.RareClasses(TrainingRecipe.Load(null, [$"data.dataset={yaml}", "augment.rare_share=0.2"])));
        Assert.Empty(RecipeBinding.RareClasses(TrainingRecipe.Load(null, [$"data.dataset={yaml}", "augment.rare_share=0.1"])));

        // A list names classes, or gives their indices; a name or index the dataset does not have is one line.
        int[] Rare(string list) => RecipeBinding.RareClasses(TrainingRecipe.Load(null, [$"data.dataset={yaml}", $"augment.rare_classes={list}"]));
        Assert.Equal(new[] { 2, 1 }, Rare("[dog, Cat]"));
        Assert.Equal(new[] { 1, 2 }, Rare("[1, dog]"));
        Assert.Contains("augment.rare_classes: no class 'dgo' in the dataset (did you mean 'dog'?)", Assert.Throws<SharpSegException>(() => Rare("[dgo]")).Message);
        Assert.Contains("class index 3, but the dataset has 3 classes (0..2)", Assert.Throws<SharpSegException>(() => Rare("[3]")).Message);
    }
}
