using SharpSeg.Imaging;

namespace SharpSeg.Reports;

/// <summary>
/// One line of a <see cref="LineChart"/>: points (<paramref name="X"/>[i], <paramref name="Y"/>[i]) in data units,
/// drawn in <paramref name="Color"/>; <paramref name="Markers"/> draws a dot at every point (for sparse series such as
/// validations). Non-finite values break the line.
/// </summary>
public sealed record ChartSeries(string Name, IReadOnlyList<double> X, IReadOnlyList<double> Y, Rgb Color, float LineWidth = 1.5f, bool Markers = false);
