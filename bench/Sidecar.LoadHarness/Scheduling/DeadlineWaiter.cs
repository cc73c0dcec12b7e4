using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Sidecar.LoadHarness.Scheduling;

/// <summary>
/// Waits for a <see cref="Stopwatch"/> timestamp with tens-of-microseconds precision without burning a core: it
/// sleeps in the kernel (nanosleep, with this thread's timer slack cut to 1 µs) until shortly before the deadline,
/// then spins the rest. Thread.Sleep and Task.Delay wake a millisecond or more late, which a fixed-rate generator
/// would report as server latency.
/// </summary>
internal sealed partial class DeadlineWaiter
{
    private const int PrSetTimerSlack = 29;

    private readonly long _spinTicks;
    private readonly bool _nativeSleep;

    /// <summary>Must be created on the thread that waits: the timer slack is a per-thread setting.</summary>
    /// <param name="spin">How long before a deadline to stop sleeping and spin.</param>
    public DeadlineWaiter(TimeSpan spin)
    {
        _spinTicks = (long)(spin.TotalSeconds * Stopwatch.Frequency);
        _nativeSleep = OperatingSystem.IsLinux();
        if (_nativeSleep)
        {
            // The default 50 µs slack lets the kernel wake us that late; 1 ns asks for the earliest wake-up.
            _ = prctl(PrSetTimerSlack, 1, 0, 0, 0);
        }
    }

    /// <summary>Returns at or just after <paramref name="deadline"/> (immediately when it has passed).</summary>
    public void WaitUntil(long deadline, CancellationToken cancellationToken)
    {
        while (true)
        {
            var remaining = deadline - Stopwatch.GetTimestamp();
            if (remaining <= 0 || cancellationToken.IsCancellationRequested)
            {
                return;
            }

            if (remaining > _spinTicks)
            {
                Sleep(remaining - _spinTicks);
            }
            else
            {
                Thread.SpinWait(20);
            }
        }
    }

    private void Sleep(long ticks)
    {
        // Sleep in slices of at most 50 ms so cancellation is noticed promptly.
        var nanoseconds = Math.Min((long)(ticks * (1_000_000_000.0 / Stopwatch.Frequency)), 50_000_000L);
        if (_nativeSleep)
        {
            var request = new Timespec { Seconds = 0, Nanoseconds = nanoseconds };
            _ = nanosleep(in request, out _);
        }
        else
        {
            // Elsewhere sleep whole milliseconds and leave the rest to the spin.
            var milliseconds = (int)(nanoseconds / 1_000_000) - 1;
            if (milliseconds > 0)
            {
                Thread.Sleep(milliseconds);
            }
            else
            {
                Thread.Yield();
            }
        }
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct Timespec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial int nanosleep(in Timespec request, out Timespec remaining);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int prctl(int option, ulong arg2, ulong arg3, ulong arg4, ulong arg5);
}
