using SharpSeg.Data;
using Spectre.Console;
using SharpSeg.Data.Checks;

namespace SharpSeg.Cli;

/// <summary>Runs counted work (files, images, tiles) with progress bars on a terminal, or a plain line every few
/// seconds otherwise (logs, CI). One bar per title; <see cref="RunPerSplit"/> adds one bar per dataset split.</summary>
public static class ProgressRunner
{
    /// <summary>One bar titled <paramref name="title"/>.</summary>
    public static T Run<T>(string title, Func<IProgress<(int Done, int Total)>, T> work) =>
        Run(report => work(new Reporter<(int Done, int Total)>(p => report(title, p.Done, p.Total))));

    /// <summary>One bar per split reported by the work, titled "<paramref name="verb"/> split".</summary>
    public static T RunPerSplit<T>(string verb, Func<IProgress<DataProgress>, T> work) =>
        Run(report => work(new Reporter<DataProgress>(p => report($"{verb} {p.Split}", p.Done, p.Total))));

    /// <summary>The shared mechanics: <paramref name="work"/> receives a callback (title, done, total) that drives
    /// the bar of that title (created on first use) or, without a terminal, prints a line at most every 5 s per title.</summary>
    static T Run<T>(Func<Action<string, int, int>, T> work)
    {
        if (!ConsoleOutput.Interactive)
        {
            var last = new Dictionary<string, DateTime>();
            return work((title, done, total) =>
            {
                lock (last)
                {
                    if (last.TryGetValue(title, out var at) && (DateTime.UtcNow - at).TotalSeconds < 5 && done != total) return;
                    last[title] = DateTime.UtcNow;
                    Console.WriteLine($"{title}: {done}/{total}");
                }
            });
        }
        T result = default!;
        AnsiConsole.Progress()
            .AutoClear(true)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
            .Start(ctx =>
            {
                var tasks = new Dictionary<string, ProgressTask>();
                result = work((title, done, total) =>
                {
                    ProgressTask task;
                    lock (tasks)
                        if (!tasks.TryGetValue(title, out task!)) tasks[title] = task = ctx.AddTask(ConsoleOutput.Escape(title));
                    task.MaxValue = Math.Max(1, total);
                    task.Value = Math.Max(task.Value, done);
                });
            });
        return result;
    }

    sealed class Reporter<TValue>(Action<TValue> report) : IProgress<TValue>
    {
        public void Report(TValue value) => report(value);
    }
}
