// The web console: static ES modules served as they are (no build step), the browser copies of
// preact, its hooks and htm from node_modules, and, in the embedded mode only, a sign-in that
// mints a development token for a demo user. The console only talks to the public HTTP API.
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import express, { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import { institutionSchema, type Role } from '../http/platform/auth';
import { ForbiddenError } from '../http/platform/problem';
import { parseRequest } from '../http/platform/validate';

export interface DevTokens {
  mint(role: Role, institution?: string, porteurId?: string): Promise<string>;
}

export interface ConsoleRouterOptions {
  /** Embedded mode only: lets the sign-in page mint a token for a demo user. */
  devTokens?: DevTokens | undefined;
}

const staticDir = join(dirname(fileURLToPath(import.meta.url)), 'static');
const require = createRequire(import.meta.url);

/** The package's folder (htm exports no `./package.json`: walk up from its entry point). */
function packageRoot(pkg: string): string {
  let dir = dirname(require.resolve(pkg));
  while (dirname(dir) !== dir) {
    const manifest = join(dir, 'package.json');
    if (
      existsSync(manifest) &&
      (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === pkg
    )
      return dir;
    dir = dirname(dir);
  }
  throw new Error(`paquet ${pkg} introuvable`);
}

/**
 * The browser resolves no bare specifier without an import map, and an inline import map is an inline
 * script the CSP forbids: the vendor files are served with `from "preact"` pointed at our copy.
 */
function vendorFile(pkg: string, file: string, rewrite = false): string {
  const text = readFileSync(join(packageRoot(pkg), file), 'utf8');
  return rewrite ? text.replace(/from\s*"preact"/g, 'from"./preact.mjs"') : text;
}

const vendor: Record<string, () => string> = {
  'preact.mjs': () => vendorFile('preact', 'dist/preact.mjs'),
  'hooks.mjs': () => vendorFile('preact', 'hooks/dist/hooks.mjs', true),
  'htm.mjs': () => vendorFile('htm', 'dist/htm.mjs'),
};

/** The demo users the embedded sign-in offers (the same claims `grants token` would give). */
const devLoginBody = z
  .strictObject({
    role: z.enum(['porteur', 'grant_manager', 'funder', 'citizen_council', 'auditor', 'evaluator']),
    institution: institutionSchema.optional(),
    porteurId: z.string().min(1).max(100).optional(),
  })
  .superRefine((body, ctx) => {
    if (body.role === 'porteur' && body.porteurId === undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['porteurId'],
        message: "Un porteur se connecte avec l'identifiant de son association (porteurId).",
      });
    if (body.role === 'funder' && body.institution === undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['institution'],
        message: 'Un financeur se connecte au nom de son institution (ETAT, REGION, COMMUNE-59392…).',
      });
  });

/**
 * The demo sign-in hands out any role to whoever asks: only to a browser on this machine. Started
 * with GRANTS_HTTP_HOST=0.0.0.0 to show the console around, the engine still keeps it local.
 */
export function isLoopback(address: string | undefined): boolean {
  if (address === undefined) return false;
  const v4 = address.startsWith('::ffff:') ? address.slice(7) : address;
  return v4 === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(v4);
}

/** A name this machine is reached by from itself: localhost, 127.x.x.x, [::1]. */
const isLoopbackName = (hostname: string): boolean =>
  hostname === 'localhost' || hostname === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname);

/**
 * A browser on this machine, on a page of the console itself: the connection from the loopback, the
 * Host it asked for a loopback name, and its Origin (when it sends one) that same host. The address
 * alone is not enough: a page of another site whose name was pointed at 127.0.0.1 (DNS rebinding),
 * or any site behind a reverse proxy on this machine, also arrives from the loopback, under its own
 * name.
 */
export function fromThisMachine(req: Request): boolean {
  if (!isLoopback(req.socket.remoteAddress)) return false;
  const host = req.headers.host;
  if (host === undefined) return false;
  let hostname: string;
  try {
    hostname = new URL(`http://${host}`).hostname;
  } catch {
    return false;
  }
  if (!isLoopbackName(hostname)) return false;
  const origin = req.headers.origin;
  if (origin === undefined) return true;
  try {
    return new URL(origin).host === host;
  } catch {
    return false;
  }
}

export function consoleRouter(options: ConsoleRouterOptions = {}): Router {
  const router = Router();
  const cache = new Map<string, string>();

  router.get('/console/vendor/:file', (req: Request, res: Response, next) => {
    const file = String(req.params.file);
    // Own entries only: `constructor`, `__proto__`… are the object's, not files.
    const load = Object.hasOwn(vendor, file) ? vendor[file] : undefined;
    if (load === undefined) return next();
    let text = cache.get(file);
    if (text === undefined) {
      text = load();
      cache.set(file, text);
    }
    res.type('text/javascript; charset=utf-8').send(text);
  });

  router.get('/console/config.json', (req: Request, res: Response) => {
    res.json({ devLogin: options.devTokens !== undefined && fromThisMachine(req) });
  });

  if (options.devTokens !== undefined) {
    const devTokens = options.devTokens;
    router.post('/console/dev-login', express.json({ limit: '4kb' }), async (req: Request, res: Response) => {
      if (!fromThisMachine(req))
        throw new ForbiddenError(
          'La connexion de démonstration n’est ouverte qu’aux navigateurs de la machine du moteur, sur la ' +
            `console elle-même (http://127.0.0.1:${req.socket.localPort ?? ''}/console/ ou localhost) : ` +
            'ailleurs, collez un jeton (grants token) ou passez par le fournisseur d’identité.',
          'DEV_LOGIN_LOCAL_ONLY',
        );
      // Refused fields become the platform's 400 problem, each named, in French.
      const { role, institution, porteurId } = parseRequest(req, { body: devLoginBody }).body;
      const token = await devTokens.mint(role, institution, porteurId);
      res.json({ token });
    });
  }

  // `/console` is redirected to `/console/` by express.static itself (relative module URLs need the slash).
  router.use('/console', express.static(staticDir, { index: 'index.html', fallthrough: true }));
  return router;
}
