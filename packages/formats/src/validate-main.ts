// Runs `carehub validate` on its own: node packages/formats/src/validate-main.ts <files…>
import { runValidateCommand } from "./validate-files.ts";

process.exitCode = await runValidateCommand(process.argv.slice(2), {
  stdout: (line) => process.stdout.write(`${line}\n`),
});
