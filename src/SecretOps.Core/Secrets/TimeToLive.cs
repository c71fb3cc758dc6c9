using System.Globalization;
using System.Text.RegularExpressions;

namespace SecretOps.Core.Secrets;

/// <summary>Parses time-to-live strings such as <c>90s</c>, <c>30m</c>, <c>1h</c>, <c>2d</c>, <c>1w</c> or <c>1h30m</c>.</summary>
public static partial class TimeToLive
{
    /// <summary>Longest time to live: 100 years.</summary>
    public static readonly TimeSpan Max = TimeSpan.FromDays(36525);

    private static readonly long MaxSeconds = (long)Max.TotalSeconds;

    /// <summary>Parses <paramref name="text"/>; zero, negative, malformed or over 100 years is refused.</summary>
    public static TimeSpan Parse(string? text)
    {
        var match = text is null ? null : Pattern().Match(text.Trim());
        if (match is null || !match.Success)
        {
            throw new InvalidParameterException("ttl", $"'{Names.Printable(text)}' is not a time to live; use a number and unit, e.g. 90s, 30m, 12h, 7d, 2w or 1h30m.");
        }

        var total = TimeSpan.Zero;
        foreach (Capture part in match.Groups["part"].Captures)
        {
            var unit = part.Value[^1];
            if (!long.TryParse(part.Value[..^1], NumberStyles.None, CultureInfo.InvariantCulture, out var amount) || amount > 1_000_000_000)
            {
                throw new InvalidParameterException("ttl", $"'{Names.Printable(text)}' is out of range.");
            }

            // In whole seconds, capped just past the maximum: TimeSpan.FromHours/FromDays overflow (an
            // OverflowException, not a refusal) well below 10^9 hours or days. 10^9 weeks in seconds fits a long.
            var seconds = amount * unit switch { 's' => 1L, 'm' => 60L, 'h' => 3600L, 'd' => 86_400L, _ => 604_800L };
            total += TimeSpan.FromSeconds(Math.Min(seconds, MaxSeconds + 1));
            if (total > Max)
            {
                throw new InvalidParameterException("ttl", $"A time to live is at most 100 years; '{Names.Printable(text)}' is longer.");
            }
        }

        return Validate(total);
    }

    /// <summary>Checks a time to live given as a TimeSpan.</summary>
    public static TimeSpan Validate(TimeSpan ttl) => ttl <= TimeSpan.Zero
        ? throw new InvalidParameterException("ttl", "A time to live must be positive.")
        : ttl > Max ? throw new InvalidParameterException("ttl", "A time to live is at most 100 years.") : ttl;

    [GeneratedRegex(@"^(?<part>[0-9]{1,10}[smhdw])+$", RegexOptions.CultureInvariant)]
    private static partial Regex Pattern();
}
