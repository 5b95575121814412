using System.Globalization;
using System.Text;

namespace SharpSeg;

/// <summary>
/// Text made safe to print on a terminal or into a log line: file names are the user's data, and a name holding ESC
/// (or another control character) could otherwise move the cursor, recolour or retitle the terminal, or hide part of a
/// message. Line breaks and tabs become spaces (messages are one line); other control characters (C0, DEL, C1) and the
/// Unicode bidirectional overrides are shown as visible escapes such as <c>\x1B</c> and <c>\u202E</c>.
/// </summary>
public static class TerminalText
{
    /// <summary><paramref name="text"/> with control characters replaced as described above; the same string when it has none.</summary>
    public static string Clean(string text)
    {
        int i = 0;
        while (i < text.Length && !NeedsEscape(text[i])) i++;
        if (i == text.Length) return text;
        var sb = new StringBuilder(text.Length + 8).Append(text, 0, i);
        for (; i < text.Length; i++)
        {
            char c = text[i];
            if (!NeedsEscape(c)) sb.Append(c);
            else if (c is '\n' or '\r' or '\t') sb.Append(' ');
            else if (c <= 0xFF) sb.Append("\\x").Append(((int)c).ToString("X2", CultureInfo.InvariantCulture));
            else sb.Append("\\u").Append(((int)c).ToString("X4", CultureInfo.InvariantCulture));
        }
        return sb.ToString();
    }

    static bool NeedsEscape(char c) => c < 0x20 || c is >= (char)0x7F and <= (char)0x9F || c is >= '\u202A' and <= '\u202E' || c is >= '\u2066' and <= '\u2069';
}
