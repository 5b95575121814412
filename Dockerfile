# sharpseg serve in a container (docs/SERVING.md):
#   docker build -t sharpseg .
#   docker run --rm -p 8080:8080 -v "$PWD/runs/mine:/models:ro" sharpseg --checkpoint /models/best.ckpt
# The build stage publishes the CLI; build/TorchSharpFixes.targets patches the published TorchSharp.dll (keep-alive fix)
# and, where the image's libstdc++ lacks GLIBCXX_3.4.32, libLibTorchSharp.so.
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
COPY . .
RUN dotnet publish src/SharpSeg.Cli -c Release -o /app

# ASP.NET Core runtime: serve is built on it.
FROM mcr.microsoft.com/dotnet/aspnet:10.0
WORKDIR /app
COPY --from=build /app .
# Listen on every interface inside the container; publish the port with -p.
EXPOSE 8080
USER $APP_UID
# Health: GET /healthz (alive) and /readyz (model loaded) from the orchestrator; the image has no curl.
ENTRYPOINT ["dotnet", "SharpSeg.Cli.dll", "serve", "--host", "0.0.0.0", "--port", "8080"]
