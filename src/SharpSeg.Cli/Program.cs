System.Console.WriteLine(SharpSeg.Engine.Probe());
