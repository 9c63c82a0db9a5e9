/**
 * Encryption at rest for secrets (CI/CD variable values, cluster credentials): AES-256-GCM with
 * a key derived (HKDF-SHA256) from the server's configured secret. Each value gets a fresh
 * 96-bit nonce; the ciphertext names its format version so the scheme can change later.
 * Errors never include the value.
 */
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from "node:crypto";

const VERSION = "v1";

export class SecretBox {
  private readonly key: Buffer;

  /** `secret`: the server's configured secret key (at least 32 characters). */
  constructor(secret: string) {
    if (secret.length < 32)
      throw new Error("the server's secret key must be at least 32 characters");
    this.key = Buffer.from(hkdfSync("sha256", secret, "conveyor", "secret-box/v1", 32));
  }

  seal(plain: string): string {
    const nonce = randomBytes(12);
    const cipher = createCipheriv("aes-256-gcm", this.key, nonce);
    const body = Buffer.concat([cipher.update(plain, "utf8"), cipher.final()]);
    const tag = cipher.getAuthTag();
    return [VERSION, nonce, tag, body]
      .map((part) => (typeof part === "string" ? part : part.toString("base64url")))
      .join(".");
  }

  open(sealed: string): string {
    const [version, nonce, tag, body] = sealed.split(".");
    if (version !== VERSION || nonce === undefined || tag === undefined || body === undefined) {
      throw new Error("a stored secret has an unknown format");
    }
    try {
      const decipher = createDecipheriv("aes-256-gcm", this.key, Buffer.from(nonce, "base64url"));
      decipher.setAuthTag(Buffer.from(tag, "base64url"));
      return Buffer.concat([
        decipher.update(Buffer.from(body, "base64url")),
        decipher.final(),
      ]).toString("utf8");
    } catch {
      throw new Error("a stored secret cannot be decrypted with this server's secret key");
    }
  }
}
