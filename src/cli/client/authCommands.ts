import { createPrivateKey } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { exportPKCS8, exportSPKI, generateKeyPair, importPKCS8, SignJWT } from "jose";
import { TaskerError } from "../../lib/errors.ts";
import { UsageError } from "../usageError.ts";
import { expectPositionals, integerFlag, parseClientArgs, requiredFlag, stringFlag } from "./clientArgs.ts";
import { writeJson } from "./clientRunContext.ts";

export const JWT_ALGORITHMS = ["RS256", "ES256"] as const;
export type JwtAlgorithm = (typeof JWT_ALGORITHMS)[number];
export const PRIVATE_KEY_FILE = "jwt-private-key.pem";
export const PUBLIC_KEY_FILE = "jwt-public-key.pem";
const PERMISSION = /^[a-z_]+:(?:[a-z_]+|\*)$/;

export type AuthCommand = { group: "auth"; json: boolean } & (
  | { action: "generate-keys"; outDir: string; algorithm: JwtAlgorithm; force: boolean }
  | {
      action: "generate-token";
      privateKeyPath: string;
      permissions: string[];
      subject: string;
      issuer: string;
      audience: string;
      expiresInHours: number;
    }
);

export const AUTH_ACTIONS = ["generate-keys", "generate-token"] as const;

/** `tasker auth <action> ...` (argv after "auth"). Returns undefined for --help. */
export function parseAuthCommand(argv: string[]): AuthCommand | undefined {
  const [action, ...args] = argv;
  const command = `auth ${action ?? ""}`.trim();
  switch (action) {
    case "generate-keys": {
      const flags = { out: { type: "string" }, algorithm: { type: "string" }, force: { type: "boolean" } } as const;
      const { help, globals, values, positionals } = parseClientArgs(args, flags, { api: false });
      if (help) return undefined;
      expectPositionals(command, positionals, []);
      const algorithm = stringFlag(values, "algorithm") ?? "RS256";
      if (!(JWT_ALGORITHMS as readonly string[]).includes(algorithm)) {
        throw new UsageError(`--algorithm must be one of ${JWT_ALGORITHMS.join(", ")}; got "${algorithm}"`);
      }
      return {
        group: "auth",
        action,
        json: globals.json,
        outDir: stringFlag(values, "out") ?? ".",
        algorithm: algorithm as JwtAlgorithm,
        force: values["force"] === true,
      };
    }
    case "generate-token": {
      const flags = {
        "private-key": { type: "string" },
        permissions: { type: "string" },
        subject: { type: "string" },
        issuer: { type: "string" },
        audience: { type: "string" },
        "expires-in-hours": { type: "string" },
      } as const;
      const { help, globals, values, positionals } = parseClientArgs(args, flags, { api: false });
      if (help) return undefined;
      expectPositionals(command, positionals, []);
      const permissions = requiredFlag(values, "permissions", command)
        .split(",")
        .map((p) => p.trim())
        .filter((p) => p !== "");
      const bad = permissions.find((p) => !PERMISSION.test(p));
      if (bad !== undefined) throw new UsageError(`--permissions: "${bad}" is not resource:action (e.g. tasks:create, tasks:*)`);
      if (permissions.length === 0) throw new UsageError("--permissions needs at least one resource:action");
      return {
        group: "auth",
        action,
        json: globals.json,
        privateKeyPath: requiredFlag(values, "private-key", command),
        permissions,
        subject: stringFlag(values, "subject") ?? "tasker-cli",
        issuer: stringFlag(values, "issuer") ?? "tasker-core",
        audience: stringFlag(values, "audience") ?? "tasker-api",
        expiresInHours: integerFlag(values, "expires-in-hours", { min: 1, max: 24 * 366 }) ?? 24,
      };
    }
    default:
      throw new UsageError(`unknown auth command "${action ?? ""}"; try one of ${AUTH_ACTIONS.join(", ")}`);
  }
}

/** RS256 for RSA keys, ES256 for P-256 keys; anything else is refused. */
function algorithmOf(pem: string, path: string): JwtAlgorithm {
  let key: ReturnType<typeof createPrivateKey>;
  try {
    key = createPrivateKey(pem);
  } catch (error) {
    throw new TaskerError("INVALID_KEY", `${path} is not a PEM private key`, { cause: error });
  }
  if (key.asymmetricKeyType === "rsa") return "RS256";
  if (key.asymmetricKeyType === "ec" && key.asymmetricKeyDetails?.namedCurve === "prime256v1") return "ES256";
  throw new TaskerError("INVALID_KEY", `${path} is a ${key.asymmetricKeyType ?? "unknown"} key; use an RSA (RS256) or P-256 (ES256) key`);
}

async function writeNew(path: string, text: string, mode: number, force: boolean): Promise<void> {
  try {
    await writeFile(path, text, { mode, flag: force ? "w" : "wx" });
  } catch (error) {
    if ((error as { code?: string }).code === "EEXIST") {
      throw new TaskerError("FILE_EXISTS", `${path} exists; pass --force to overwrite it`);
    }
    throw error;
  }
}

export async function runAuthCommand(command: AuthCommand, io: { stdout: (text: string) => void; cwd: string }): Promise<number> {
  if (command.action === "generate-keys") {
    const dir = resolve(io.cwd, command.outDir);
    await mkdir(dir, { recursive: true });
    const { privateKey, publicKey } = await generateKeyPair(command.algorithm, { extractable: true });
    const privatePath = join(dir, PRIVATE_KEY_FILE);
    const publicPath = join(dir, PUBLIC_KEY_FILE);
    await writeNew(privatePath, await exportPKCS8(privateKey), 0o600, command.force);
    await writeNew(publicPath, await exportSPKI(publicKey), 0o644, command.force);
    if (command.json) {
      writeJson(io.stdout, { algorithm: command.algorithm, private_key_path: privatePath, public_key_path: publicPath });
    } else {
      io.stdout(
        `wrote ${command.algorithm} private key ${privatePath} (keep it secret; sign tokens with tasker auth generate-token)\n` +
          `wrote public key ${publicPath} (the server verifies tokens with it)\n`,
      );
    }
    return 0;
  }

  const path = resolve(io.cwd, command.privateKeyPath);
  let pem: string;
  try {
    pem = await readFile(path, "utf8");
  } catch (error) {
    throw new TaskerError("INVALID_KEY", `cannot read --private-key ${path}: ${error instanceof Error ? error.message : String(error)}`);
  }
  const algorithm = algorithmOf(pem, path);
  const key = await importPKCS8(pem, algorithm);
  const token = await new SignJWT({ permissions: command.permissions })
    .setProtectedHeader({ alg: algorithm, typ: "JWT" })
    .setSubject(command.subject)
    .setIssuer(command.issuer)
    .setAudience(command.audience)
    .setIssuedAt()
    .setExpirationTime(`${command.expiresInHours}h`)
    .sign(key);
  if (command.json) {
    const [, payload = ""] = token.split(".");
    writeJson(io.stdout, { token, algorithm, claims: JSON.parse(Buffer.from(payload, "base64url").toString("utf8")) as unknown });
  } else {
    io.stdout(`${token}\n`);
  }
  return 0;
}
