using Spectre.Console;

namespace SharpSeg.Cli;

/// <summary>Runs counted work (files, images) with a progress bar on a terminal, or a few plain lines otherwise.</summary>
public static class ProgressRunner
{
    public static T Run<T>(string title, Func<IProgress<(int Done, int Total)>, T> work)
    {
        if (!ConsoleOutput.Interactive)
        {
            var last = DateTime.MinValue;
            return work(new Reporter(p =>
            {
                if ((DateTime.UtcNow - last).TotalSeconds >= 5 || p.Done == p.Total)
                {
                    last = DateTime.UtcNow;
                    Console.WriteLine($"{title}: {p.Done}/{p.Total}");
                }
            }));
        }
        T result = default!;
        AnsiConsole.Progress()
            .AutoClear(true)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
            .Start(ctx =>
            {
                var task = ctx.AddTask(Markup.Escape(title));
                result = work(new Reporter(p => { task.MaxValue = Math.Max(1, p.Total); task.Value = p.Done; }));
            });
        return result;
    }

    sealed class Reporter(Action<(int Done, int Total)> report) : IProgress<(int Done, int Total)>
    {
        public void Report((int Done, int Total) value) => report(value);
    }
}
