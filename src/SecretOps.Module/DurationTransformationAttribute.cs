using System.Globalization;
using System.Management.Automation;
using SecretOps.Core.Secrets;

namespace SecretOps.Module;

/// <summary>
/// Lets a TimeSpan parameter take what people type: a TimeSpan, SecretOps' short form (<c>90s</c>,
/// <c>30m</c>, <c>12h</c>, <c>7d</c>, <c>2w</c>, <c>1h30m</c>) or <c>hh:mm:ss</c>, quoted or not. PowerShell
/// parses two of those forms as numbers before they get here: <c>90s</c> is the short 90 (the <c>s</c>
/// suffix) and <c>7d</c> the decimal 7 (the <c>d</c> suffix), so a short counts as seconds and a decimal as
/// days. Other bare numbers are refused (their text is gone, and PowerShell would read them as ticks) unless
/// <see cref="IntegersAreMinutes"/>, where a negative number means "never" (<see cref="Timeout.InfiniteTimeSpan"/>),
/// as in the configuration file.
/// </summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field)]
internal sealed class DurationTransformationAttribute : ArgumentTransformationAttribute
{
    /// <summary>Read integers as minutes (negative: infinite) instead of refusing them.</summary>
    public bool IntegersAreMinutes { get; set; }

    public override object? Transform(EngineIntrinsics engineIntrinsics, object? inputData)
    {
        var value = PowerShellValues.Unwrap(inputData);
        switch (value)
        {
            case null:
            case TimeSpan:
                return value;
            case short seconds:
                return TimeSpan.FromSeconds(seconds);
            case decimal days:
                return TimeSpan.FromDays((double)days);
            case int or long or byte when IntegersAreMinutes:
                var minutes = Convert.ToInt64(value, CultureInfo.InvariantCulture);
                return minutes < 0 ? Timeout.InfiniteTimeSpan : TimeSpan.FromMinutes(minutes);
            case int or long or byte or sbyte or ushort or uint or ulong or double or float:
                throw new ArgumentTransformationMetadataException(string.Create(CultureInfo.InvariantCulture,
                    $"'{value}' has no unit: give one, quoted, such as '90s', '30m', '12h', '7d', '2w' or '1h30m', or a TimeSpan such as (New-TimeSpan -Minutes 90)."));
            case string text:
                if (IntegersAreMinutes && long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var number))
                {
                    return number < 0 ? Timeout.InfiniteTimeSpan : TimeSpan.FromMinutes(number);
                }

                if (TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out var parsed) && text.Contains(':', StringComparison.Ordinal))
                {
                    return parsed;
                }

                try
                {
                    return TimeToLive.Parse(text);
                }
                catch (SecretOpsException e)
                {
                    throw new ArgumentTransformationMetadataException(e.Message, e);
                }

            default:
                return value;
        }
    }
}
