using System.Runtime.InteropServices;

namespace SharpSeg.Engine;

/// <summary>
/// Environment variables that native libraries read (libgomp, MKL, oneDNN). .NET's <see cref="Environment.SetEnvironmentVariable(string, string)"/>
/// does not reach the C library's environment on Linux, so these go through <c>setenv</c> as well. Native libraries
/// read most such variables once, when they load or first run: set them before the first libtorch call.
/// </summary>
public static class NativeEnvironment
{
    [DllImport("libc", EntryPoint = "setenv", SetLastError = true)]
    private static extern int SetEnv([MarshalAs(UnmanagedType.LPUTF8Str)] string name, [MarshalAs(UnmanagedType.LPUTF8Str)] string value, int overwrite);

    [DllImport("libc", EntryPoint = "getenv")]
    private static extern IntPtr GetEnv([MarshalAs(UnmanagedType.LPUTF8Str)] string name);

    /// <summary>The value the C library sees (what native libraries read), or null.</summary>
    public static string? Get(string name)
    {
        if (!(OperatingSystem.IsLinux() || OperatingSystem.IsMacOS())) return Environment.GetEnvironmentVariable(name);
        IntPtr p = GetEnv(name);
        return p == IntPtr.Zero ? null : Marshal.PtrToStringUTF8(p);
    }

    /// <summary>Sets <paramref name="name"/> to <paramref name="value"/> unless it is already set to a non-empty value (by the user); returns
    /// true when it was set here.</summary>
    public static bool SetDefault(string name, string value)
    {
        if (!string.IsNullOrEmpty(Environment.GetEnvironmentVariable(name))) return false;
        Environment.SetEnvironmentVariable(name, value);
        if (OperatingSystem.IsLinux() || OperatingSystem.IsMacOS())
        {
            try { SetEnv(name, value, 1); }
            catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException) { return false; }
        }
        return true;
    }
}
