namespace SharpSeg.Instances;

/// <summary>Which neighbours join two pixels of the same class into one instance.</summary>
public enum Connectivity
{
    /// <summary>Left, right, up, down: pixels touching only at a corner are separate instances.</summary>
    Four = 4,
    /// <summary>The 4 neighbours and the 4 diagonal ones: pixels touching at a corner are one instance.</summary>
    Eight = 8,
}
