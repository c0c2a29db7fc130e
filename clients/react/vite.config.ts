import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// base './': the built files work from any folder of any web server.
export default defineConfig({
  base: './',
  plugins: [react()],
  server: { port: 5173, strictPort: true },
});
