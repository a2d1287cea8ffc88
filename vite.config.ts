// Vite builds web/ into dist/web; `npm run dev` proxies the API to a server on port 3000.
import { defineConfig } from "vite";

const API_SERVER = "http://localhost:3000";

export default defineConfig({
  root: "web",
  build: { outDir: "../dist/web", emptyOutDir: true, target: "es2022" },
  server: {
    port: 5173,
    proxy: { "/auth": API_SERVER, "/api": API_SERVER, "/.well-known": API_SERVER },
  },
});
