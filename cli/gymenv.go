package cli

// Worker-hosted Gymnasium environments: importing gymenv registers the
// "gym:" resolver, so --env gym:ID and gym:package.module:Name resolve
// wherever the commands look ids up.
import _ "github.com/xlrl/xlrl/internal/gymenv"
