import path from "node:path";
import ts from "typescript";

const ROOT = path.resolve(__dirname, "../..");
const FIXTURE = path.join(__dirname, "fixtures/select-with-check.ts");

/** The project's compiler options, as `tsc -p .` reads them from tsconfig.json. */
function projectConfig(): ts.ParsedCommandLine {
  const config = ts.getParsedCommandLineOfConfigFile(
    path.join(ROOT, "tsconfig.json"),
    {},
    {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: (d) => {
        throw new Error(ts.flattenDiagnosticMessageText(d.messageText, "\n"));
      },
    },
  );
  if (!config) throw new Error("tsconfig.json could not be read");
  return config;
}

test("the type system refuses a check on a select rule and every other invalid rule shape, one error per line", () => {
  const program = ts.createProgram([FIXTURE], projectConfig().options);
  const source = program.getSourceFile(FIXTURE)!;
  const lines = source.text.split("\n");
  const diagnostics = ts.getPreEmitDiagnostics(program).map((d) => {
    expect(d.file?.fileName).toBe(source.fileName);
    const line = lines[d.file!.getLineAndCharacterOfPosition(d.start!).line]!;
    return {
      definition: /^export const (\w+)/.exec(line)?.[1] ?? line,
      code: d.code,
      message: ts.flattenDiagnosticMessageText(d.messageText, "\n"),
    };
  });
  expect(diagnostics).toEqual([
    {
      definition: "selectWithCheck",
      code: 2353,
      message: "Object literal may only specify known properties, and 'using' does not exist in type 'Scope'.",
    },
    {
      definition: "insertWithoutCheck",
      code: 2741,
      message: "Property 'check' is missing in type '{}' but required in type '{ readonly check: Scope; }'.",
    },
    {
      definition: "insertWithUsing",
      code: 2353,
      message:
        "Object literal may only specify known properties, and 'using' does not exist in type '{ readonly check: Scope; }'.",
    },
    {
      definition: "updateWithoutUsing",
      code: 2741,
      message:
        "Property 'using' is missing in type '{ check: Scope; }' but required in type '{ readonly using: Scope; readonly check?: Scope | undefined; }'.",
    },
    {
      definition: "deleteWithUsing",
      code: 2353,
      message: "Object literal may only specify known properties, and 'using' does not exist in type 'Scope'.",
    },
    { definition: "unknownAccess", code: 2322, message: "Type '\"reed\"' is not assignable to type 'ColumnAccess | undefined'." },
    { definition: "unknownDefault", code: 2322, message: "Type '\"all\"' is not assignable to type 'ColumnAccess | undefined'." },
  ]);
});

test("the fixture that fails on purpose is left out of the project's tsc -p . (tsconfig.json exclude)", () => {
  expect(projectConfig().fileNames.filter((f) => path.resolve(f) === FIXTURE)).toEqual([]);
});
