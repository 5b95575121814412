using SharpSeg.Data;
using Spectre.Console;

namespace SharpSeg.Cli.Commands;

/// <summary>Shows a progress bar per split on an interactive terminal; runs the work silently when output is redirected.</summary>
internal static class DataProgressBar
{
    public static T Run<T>(string verb, Func<IProgress<DataProgress>?, T> work)
    {
        if (Console.IsOutputRedirected || Console.IsErrorRedirected) return work(null);
        T result = default!;
        AnsiConsole.Progress()
            .AutoClear(true)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn(), new SpinnerColumn())
            .Start(ctx => result = work(new Reporter(ctx, verb)));
        return result;
    }

    sealed class Reporter(ProgressContext context, string verb) : IProgress<DataProgress>
    {
        readonly Dictionary<string, ProgressTask> _tasks = [];

        public void Report(DataProgress value)
        {
            ProgressTask task;
            lock (_tasks)
            {
                if (!_tasks.TryGetValue(value.Split, out task!))
                    _tasks[value.Split] = task = context.AddTask($"{verb} {Markup.Escape(value.Split)}", maxValue: Math.Max(1, value.Total));
            }
            task.Value = Math.Max(task.Value, value.Done);
        }
    }
}
