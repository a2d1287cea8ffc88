// Baseline: the per-request crypto limit. A bare node:http server that verifies the same ES256
// access token with raw node:crypto (no framework, no JWT library) and answers its subject.
import { createPublicKey, verify } from "node:crypto";
import { createServer } from "node:http";

const key = createPublicKey({ key: JSON.parse(process.env.PUBLIC_JWK!), format: "jwk" });
const { ISSUER, AUDIENCE } = process.env;

function verifyToken(token: string): { sub: string } | null {
  const [header, payload, signature] = token.split(".");
  if (!header || !payload || !signature) return null;
  const head = JSON.parse(Buffer.from(header, "base64url").toString());
  if (head.alg !== "ES256" || head.typ !== "at+jwt") return null;
  const ok = verify("sha256", Buffer.from(`${header}.${payload}`), { key, dsaEncoding: "ieee-p1363" }, Buffer.from(signature, "base64url"));
  if (!ok) return null;
  const claims = JSON.parse(Buffer.from(payload, "base64url").toString());
  if (claims.iss !== ISSUER || claims.aud !== AUDIENCE || claims.exp * 1000 <= Date.now()) return null;
  return { sub: claims.sub };
}

const server = createServer((req, res) => {
  const token = req.headers.authorization?.slice("Bearer ".length) ?? "";
  const claims = verifyToken(token);
  res.writeHead(claims ? 200 : 401, { "content-type": "application/json" });
  res.end(JSON.stringify(claims ?? { error: "invalid_token" }));
});
server.listen(Number(process.env.PORT), "127.0.0.1", () => {
  const { port } = server.address() as { port: number };
  console.log(`listening on http://127.0.0.1:${port}`);
});
