using System.Diagnostics;
using System.Text.Json.Nodes;

namespace SharpSeg.Training;

/// <summary>
/// Where a training step's time goes: <c>data</c> (waiting for the batch: loading, augmenting, collating beyond what the
/// loader's workers did ahead), <c>forward</c> (the model), <c>criterion</c> (the loss function; not called "loss", which
/// the same log record uses for the loss value), <c>backward</c>, and <c>optimizer</c> (gradient
/// norm, clipping and the optimiser's step). On the CPU every operation finishes before the next begins, so wall-clock
/// intervals measure each phase; on a GPU the forward time includes waits for earlier queued work. Each <c>train</c>
/// record of the metrics log carries the mean per step since the previous record (<c>phase_ms</c>), and the
/// <c>end</c> record the mean over the run without its first step (which includes one-off allocation and warm-up).
/// </summary>
public sealed class StepPhases
{
    /// <summary>The phases, in the order of a step.</summary>
    public static readonly IReadOnlyList<string> Names = ["data", "forward", "criterion", "backward", "optimizer"];
    const int Data = 0, Forward = 1, Loss = 2, Backward = 3, Optimizer = 4;

    readonly double[] _step = new double[5], _window = new double[5], _run = new double[5];
    int _windowSteps, _runSteps;
    long _steps;
    readonly Stopwatch _sinceStep = new();
    double _forwardThisStep;

    /// <summary>Runs the model's forward pass, timed as <c>forward</c> (the rest of the loss function counts as <c>criterion</c>).</summary>
    public T TimeForward<T>(Func<T> forward)
    {
        var clock = Stopwatch.StartNew();
        var result = forward();
        _forwardThisStep += clock.Elapsed.TotalMilliseconds;
        return result;
    }

    /// <summary>Forgets the time since the last step (validation, checkpoints), so it is not counted as <c>data</c>.</summary>
    public void Pause() => _sinceStep.Reset();

    internal void BeginStep()
    {
        Array.Clear(_step);
        _step[Data] = _sinceStep.IsRunning ? _sinceStep.Elapsed.TotalMilliseconds : 0;
        _forwardThisStep = 0;
    }

    internal void LossDone(double lossAndForwardMs)
    {
        _step[Forward] = _forwardThisStep;
        _step[Loss] = Math.Max(0, lossAndForwardMs - _forwardThisStep);
    }

    internal void BackwardDone(double ms) => _step[Backward] = ms;
    internal void OptimizerDone(double ms) => _step[Optimizer] = ms;

    internal void EndStep()
    {
        for (int i = 0; i < 5; i++) _window[i] += _step[i];
        _windowSteps++;
        if (_steps++ > 0)
        {
            for (int i = 0; i < 5; i++) _run[i] += _step[i];
            _runSteps++;
        }
        _sinceStep.Restart();
    }

    /// <summary>Mean milliseconds per step of each phase since the last call (then starts a new window).</summary>
    public JsonObject TakeWindow()
    {
        var o = ToJson(_window, _windowSteps);
        Array.Clear(_window);
        _windowSteps = 0;
        return o;
    }

    /// <summary>Mean milliseconds per step of each phase over the run, without its first step (all steps when there was one).</summary>
    public IReadOnlyDictionary<string, double> RunMean =>
        Names.Select((n, i) => (n, v: _runSteps > 0 ? _run[i] / _runSteps : _window[i] / Math.Max(1, _windowSteps))).ToDictionary(p => p.n, p => p.v);

    /// <summary><see cref="RunMean"/> as a JSON object.</summary>
    public JsonObject RunMeanJson() => new(RunMean.Select(p => KeyValuePair.Create(p.Key, (JsonNode?)Math.Round(p.Value, 2))));

    /// <summary>One line: "data 12 ms, forward 340 ms, criterion 20 ms, …".</summary>
    public static string Describe(IReadOnlyDictionary<string, double> meanMs) =>
        string.Join(", ", Names.Select(n => $"{n} {meanMs[n].ToString("0", System.Globalization.CultureInfo.InvariantCulture)} ms"));

    static JsonObject ToJson(double[] sums, int steps)
    {
        var o = new JsonObject();
        for (int i = 0; i < 5; i++) o[Names[i]] = Math.Round(sums[i] / Math.Max(1, steps), 2);
        return o;
    }
}
