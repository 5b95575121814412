using System.Globalization;

namespace SharpSeg.Reports;

/// <summary>Axis ticks for charts: positions at 1, 2 or 5 × 10^k covering a range, and labels that read alike along one axis.</summary>
public static class AxisTicks
{
    /// <summary>
    /// Tick positions for an axis spanning [<paramref name="min"/>, <paramref name="max"/>]: about
    /// <paramref name="target"/> ticks at 1, 2 or 5 × 10^k, covering the range (the first tick ≤ min, the last ≥ max).
    /// </summary>
    public static double[] Nice(double min, double max, int target = 6)
    {
        if (!double.IsFinite(min) || !double.IsFinite(max)) return [0, 1];
        if (max < min) (min, max) = (max, min);
        if (max - min < 1e-12 * Math.Max(1, Math.Abs(max))) { double pad = Math.Abs(min) > 0 ? Math.Abs(min) * 0.1 : 1; min -= pad; max += pad; }
        double step = NiceStep((max - min) / Math.Max(1, target - 1));
        double first = Math.Floor(min / step + 1e-9) * step, last = Math.Ceiling(max / step - 1e-9) * step;
        int n = (int)Math.Round((last - first) / step) + 1;
        var ticks = new double[n];
        for (int i = 0; i < n; i++) ticks[i] = Math.Round((first + i * step) / step) * step;
        return ticks;
    }

    static double NiceStep(double raw)
    {
        double exp = Math.Floor(Math.Log10(raw)), f = raw / Math.Pow(10, exp);
        double nice = f < 1.5 ? 1 : f < 3 ? 2 : f < 7 ? 5 : 10;
        return nice * Math.Pow(10, exp);
    }

    /// <summary>
    /// A tick label with as few decimals as the axis' tick <paramref name="step"/> needs; every tick of an axis whose step
    /// is below 1e-4 or at least 1e5 is written in scientific notation, so the labels of one axis look alike.
    /// </summary>
    public static string Format(double value, double step)
    {
        var inv = CultureInfo.InvariantCulture;
        if (Math.Abs(value) < Math.Abs(step) * 1e-6) return "0";
        double s = Math.Abs(step);
        if (s < 1e-4 || s >= 1e5) return value.ToString("0.##e+0", inv);
        int decimals = Math.Clamp((int)Math.Ceiling(-Math.Log10(s) - 1e-9), 0, 6);
        return value.ToString("F" + decimals, inv);
    }
}
