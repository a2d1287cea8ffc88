// Baseline: the tutorial peer. Express with jsonwebtoken verifying the same ES256 access token.
import express from "express";
import jwt from "jsonwebtoken";
import { createPublicKey } from "node:crypto";

const publicKey = createPublicKey({ key: JSON.parse(process.env.PUBLIC_JWK!), format: "jwk" }).export({ type: "spki", format: "pem" });
const app = express();

app.get("/api/me", (req, res) => {
  try {
    const token = req.headers.authorization?.slice("Bearer ".length) ?? "";
    const claims = jwt.verify(token, publicKey, { algorithms: ["ES256"], issuer: process.env.ISSUER, audience: process.env.AUDIENCE }) as jwt.JwtPayload;
    res.json({ sub: claims.sub });
  } catch {
    res.status(401).json({ error: "invalid_token" });
  }
});
const server = app.listen(Number(process.env.PORT), "127.0.0.1", () => {
  const { port } = server.address() as { port: number };
  console.log(`listening on http://127.0.0.1:${port}`);
});
