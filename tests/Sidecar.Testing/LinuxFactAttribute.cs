using Xunit;

namespace Sidecar.Testing;

/// <summary>A fact about a Linux kernel interface (<c>/proc</c>, <c>madvise</c>): skipped, saying so, on other systems.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class LinuxFactAttribute : FactAttribute
{
    public LinuxFactAttribute()
    {
        if (!OperatingSystem.IsLinux())
        {
            Skip = "needs Linux (/proc and madvise)";
        }
    }
}
