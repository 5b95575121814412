using System.Runtime.ExceptionServices;

namespace SharpSeg.Data.Loading;

/// <summary>
/// The machinery both loaders (<see cref="SegmentationLoader"/>, <see cref="SelfSupervised.ViewPairLoader"/>) share:
/// the batches of one epoch planned from a seeded order, then built on background threads, a bounded number ahead of
/// the consumer, and yielded in their fixed order.
/// <para>
/// Errors: an exception thrown while building item k is rethrown, as the same exception, on the consuming thread when
/// item k is reached (the items before it are still delivered). Stopping the enumeration early (break, dispose, or the
/// cancellation token) stops the workers and disposes the items made ahead and never handed over.
/// </para>
/// </summary>
internal static class OrderedPrefetch
{
    /// <summary>
    /// The order in which epoch <paramref name="epoch"/> visits <paramref name="count"/> items: 0..count-1, shuffled
    /// (Fisher-Yates) by a generator that depends only on (seed, epoch, salt) when <paramref name="shuffle"/> is set.
    /// </summary>
    public static int[] EpochOrder(int count, bool shuffle, int seed, int epoch, int salt)
    {
        var order = Enumerable.Range(0, count).ToArray();
        if (shuffle)
        {
            var rng = DeterministicSeed.Create(seed, epoch, salt);
            for (int i = order.Length - 1; i > 0; i--)
            {
                int j = rng.Next(i + 1);
                (order[i], order[j]) = (order[j], order[i]);
            }
        }
        return order;
    }

    /// <summary>Batches per epoch of <paramref name="count"/> items (the last one smaller unless <paramref name="dropLast"/>).</summary>
    public static int BatchCount(int count, int batchSize, bool dropLast) =>
        dropLast ? count / batchSize : (count + batchSize - 1) / batchSize;

    /// <summary>
    /// The batches of one epoch, from batch <paramref name="firstBatch"/> on: <paramref name="order"/> cut into
    /// <paramref name="batchCount"/> consecutive runs of <paramref name="batchSize"/> indices, each built by
    /// <paramref name="build"/>(batch index, indices, token) — on <paramref name="workers"/> background threads with at
    /// most max(<paramref name="prefetch"/>, workers) batches made ahead of the consumer, or, with 0 workers, on the
    /// consumer's thread as it asks. The arguments are checked at once, not on the first <c>MoveNext</c>.
    /// </summary>
    public static IEnumerable<T> Batches<T>(int[] order, int batchSize, int batchCount, int firstBatch, int workers, int prefetch,
        string threadName, Func<int, int[], CancellationToken, T> build, CancellationToken ct) where T : class, IDisposable
    {
        if (firstBatch < 0 || firstBatch > batchCount) throw new ArgumentOutOfRangeException(nameof(firstBatch), $"first batch must be in 0..{batchCount}, got {firstBatch}");
        var batches = new int[batchCount][];
        for (int k = 0; k < batchCount; k++) batches[k] = order.AsSpan(k * batchSize, Math.Min(batchSize, order.Length - k * batchSize)).ToArray();
        T Build(int k, CancellationToken token) => build(k, batches[k], token);
        return workers == 0 ? Inline(batchCount, firstBatch, Build, ct) : Threaded(batchCount, firstBatch, workers, prefetch, threadName, Build, ct);
    }

    static IEnumerable<T> Inline<T>(int count, int first, Func<int, CancellationToken, T> build, CancellationToken ct)
    {
        for (int k = first; k < count; k++)
        {
            ct.ThrowIfCancellationRequested();
            yield return build(k, ct);
        }
    }

    static IEnumerable<T> Threaded<T>(int count, int first, int workers, int prefetch, string threadName, Func<int, CancellationToken, T> build,
        CancellationToken ct) where T : class, IDisposable
    {
        using var run = new Run<T>(count, first, workers, prefetch, threadName, build, ct);
        for (int k = first; k < count; k++) yield return run.Take(k);
    }

    /// <summary>The worker threads and result slots of one enumeration.</summary>
    sealed class Run<T> : IDisposable where T : class, IDisposable
    {
        readonly Func<int, CancellationToken, T> build;
        readonly TaskCompletionSource<T>[] slots;
        readonly SemaphoreSlim window;
        readonly CancellationTokenSource cts;
        readonly CancellationToken consumerToken;
        readonly Thread[] threads;
        int next = -1;
        int taken = -1;
        volatile bool failed;

        public Run(int count, int first, int workers, int prefetch, string threadName, Func<int, CancellationToken, T> build, CancellationToken ct)
        {
            this.build = build; consumerToken = ct;
            next = taken = first - 1;
            slots = new TaskCompletionSource<T>[count];
            for (int i = 0; i < slots.Length; i++) slots[i] = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
            workers = Math.Min(workers, Math.Max(1, count));
            // A permit per item being built or waiting to be taken: at most `prefetch` items exist ahead of the consumer.
            window = new SemaphoreSlim(Math.Max(prefetch, workers));
            cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
            threads = new Thread[workers];
            for (int i = 0; i < workers; i++)
            {
                threads[i] = new Thread(Work) { IsBackground = true, Name = $"{threadName}-{i}" };
                threads[i].Start();
            }
        }

        void Work()
        {
            var token = cts.Token;
            try
            {
                while (true)
                {
                    window.Wait(token);
                    if (failed) return;
                    int k = Interlocked.Increment(ref next);
                    if (k >= slots.Length) return;
                    T item;
                    try
                    {
                        item = build(k, token);
                    }
                    catch (OperationCanceledException) when (token.IsCancellationRequested)
                    {
                        slots[k].TrySetCanceled(token);
                        return;
                    }
                    catch (Exception e)
                    {
                        slots[k].TrySetException(e);
                        // Later items will never be taken (the consumer stops at this one); earlier ones still finish.
                        failed = true;
                        return;
                    }
                    if (!slots[k].TrySetResult(item)) item.Dispose();
                }
            }
            catch (OperationCanceledException) { }
            catch (ObjectDisposedException) { }
        }

        /// <summary>Waits for item <paramref name="k"/> and hands it over; rethrows a worker's exception as is.</summary>
        public T Take(int k)
        {
            var task = slots[k].Task;
            try { task.Wait(consumerToken); }
            catch (AggregateException) { }
            if (task.IsFaulted)
            {
                var inner = task.Exception!.InnerExceptions;
                ExceptionDispatchInfo.Capture(inner.Count == 1 ? inner[0] : task.Exception).Throw();
            }
            if (task.IsCanceled) { consumerToken.ThrowIfCancellationRequested(); throw new OperationCanceledException("the loader was stopped."); }
            var item = task.Result;
            taken = k;
            window.Release();
            return item;
        }

        public void Dispose()
        {
            try { cts.Cancel(); } catch (ObjectDisposedException) { }
            foreach (var t in threads) t.Join();
            // Free what was built ahead and never handed over.
            for (int k = taken + 1; k < slots.Length; k++)
                if (slots[k].Task.IsCompletedSuccessfully) slots[k].Task.Result.Dispose();
            cts.Dispose();
            window.Dispose();
        }
    }
}
