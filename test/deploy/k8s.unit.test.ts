import { readdirSync, readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import express from 'express';
import request from 'supertest';
import { parseAllDocuments } from 'yaml';
import { EnvSchema, loadConfig } from '@flowgate/config';
import { BUILD_TARGETS } from '../../scripts/build';
import { healthRouter, metricsRouter } from '@flowgate/public-api';
import { startHealthServer } from '@flowgate/runtime';

/**
 * infra/k8s/ (docs/contracts.md §14) checked against the code: every manifest parses; each service has a
 * Deployment, Service, PodDisruptionBudget and HorizontalPodAutoscaler that select it; images and
 * commands are the compiled entry points of the one image; every variable is one the config
 * schema knows (secret ones only from the Secret), and the resulting configuration loads; ports
 * agree with PORT / DISPATCHER_HEALTH_PORT; and the probe paths answer 200 on the real routers.
 */
const dir = path.join(__dirname, '..', '..', 'infra', 'k8s');

interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { secretKeyRef?: { name: string; key: string; optional?: boolean } };
}
interface Probe {
  httpGet: { path: string; port: string | number };
}
interface Container {
  name: string;
  image: string;
  command: string[];
  ports?: Array<{ name: string; containerPort: number }>;
  env?: EnvVar[];
  envFrom?: Array<{ configMapRef?: { name: string } }>;
  livenessProbe?: Probe;
  readinessProbe?: Probe;
  startupProbe?: Probe;
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  securityContext?: { allowPrivilegeEscalation?: boolean; readOnlyRootFilesystem?: boolean };
}
interface PodSpec {
  containers: Container[];
  terminationGracePeriodSeconds?: number;
  securityContext?: { runAsNonRoot?: boolean };
}
interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string> };
  data?: Record<string, string>;
  spec?: {
    selector?: { matchLabels?: Record<string, string> } & Record<string, string>;
    template?: { metadata: { labels: Record<string, string> }; spec: PodSpec };
    ports?: Array<{ name: string; port: number; targetPort: string | number }>;
    scaleTargetRef?: { kind: string; name: string };
    minReplicas?: number;
    maxReplicas?: number;
    minAvailable?: number;
  };
}

const files = readdirSync(dir).filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml');
const manifests: Manifest[] = files.flatMap((f) =>
  parseAllDocuments(readFileSync(path.join(dir, f), 'utf8')).map((doc) => {
    if (doc.errors.length > 0) throw new Error(`${f}: ${doc.errors.map((e) => e.message).join('; ')}`);
    return doc.toJSON() as Manifest;
  }),
);
const kustomization = parseAllDocuments(
  readFileSync(path.join(dir, 'kustomization.yaml'), 'utf8'),
)[0]?.toJSON() as {
  resources: string[];
  images: Array<{ name: string; newName: string; newTag: string }>;
};
const of = (kind: string): Manifest[] => manifests.filter((m) => m.kind === kind);
const configMap = of('ConfigMap').find((m) => m.metadata.name === 'flowgate-config');
const SCHEMA_KEYS = Object.keys(EnvSchema.properties);
const SECRET_KEYS = Object.entries(EnvSchema.properties)
  .filter(([, s]) => (s as { 'x-secret'?: boolean })['x-secret'] === true)
  .map(([k]) => k);

/** The environment a container gets, secrets given placeholder values the schema accepts. */
function envOf(container: Container): Record<string, string> {
  const env: Record<string, string> = {};
  for (const from of container.envFrom ?? []) {
    const cm = of('ConfigMap').find((m) => m.metadata.name === from.configMapRef?.name);
    if (!cm) throw new Error(`no ConfigMap ${from.configMapRef?.name}`);
    Object.assign(env, cm.data);
  }
  const placeholders: Record<string, string> = {
    DATABASE_URL: 'postgres://flowgate:pw@postgres.example:5432/flowgate',
    AMQP_URL: 'amqps://flowgate:pw@rabbitmq.example:5671',
    FLOWGATE_SECRET_KEY: Buffer.alloc(32, 7).toString('base64'),
    JWT_SECRET: 'j'.repeat(64),
    METRICS_TOKEN: 'm'.repeat(32),
  };
  for (const v of container.env ?? []) {
    if (v.value !== undefined) env[v.name] = v.value;
    else if (v.valueFrom?.secretKeyRef) env[v.name] = placeholders[v.name] ?? 'unknown-secret';
  }
  return env;
}

const SERVICES = {
  'flowgate-public-api': { file: `dist/${BUILD_TARGETS['start:api']}.js`, portVar: 'PORT' },
  'flowgate-dispatcher': {
    file: `dist/${BUILD_TARGETS['start:dispatcher']}.js`,
    portVar: 'DISPATCHER_HEALTH_PORT',
  },
} as const;

describe('infra/k8s', () => {
  it('lists every manifest in kustomization.yaml, and runs no PostgreSQL or RabbitMQ of its own', () => {
    expect([...kustomization.resources].sort()).toEqual([...files].sort());
    expect(of('StatefulSet')).toHaveLength(0);
    for (const m of manifests) expect(JSON.stringify(m)).not.toMatch(/image: *(postgres|rabbitmq)/);
    expect(
      of('Deployment')
        .map((d) => d.metadata.name)
        .sort(),
    ).toEqual(Object.keys(SERVICES).sort());
    expect(configMap).toBeDefined();
  });

  it('uses one image, the compiled entry points, known variables only, and secrets only from the Secret', () => {
    const pods = [...of('Deployment'), ...of('Job')].map((m) => m.spec?.template?.spec as PodSpec);
    const images = new Set(pods.flatMap((p) => p.containers.map((c) => c.image)));
    expect([...images]).toEqual([kustomization.images[0]?.name]);
    const compiled = Object.values(BUILD_TARGETS).map((n) => `dist/${n}.js`);
    for (const pod of pods) {
      expect(pod.securityContext?.runAsNonRoot).toBe(true);
      for (const c of pod.containers) {
        expect(c.command[0]).toBe('node');
        expect(compiled).toContain(c.command[1]);
        expect(c.resources?.requests).toEqual(
          expect.objectContaining({ cpu: expect.any(String), memory: expect.any(String) }),
        );
        expect(c.resources?.limits).toEqual(expect.objectContaining({ memory: expect.any(String) }));
        expect(c.securityContext).toMatchObject({
          allowPrivilegeEscalation: false,
          readOnlyRootFilesystem: true,
        });
        for (const v of c.env ?? []) {
          expect(SCHEMA_KEYS).toContain(v.name);
          // A secret is never a literal in a manifest.
          if (SECRET_KEYS.includes(v.name))
            expect(v.valueFrom?.secretKeyRef).toEqual(
              expect.objectContaining({ name: 'flowgate-secrets', key: v.name }),
            );
        }
        const config = loadConfig(envOf(c));
        expect(config.database.kind).toBe('postgres');
      }
    }
    for (const key of Object.keys(configMap?.data ?? {})) {
      expect(SCHEMA_KEYS).toContain(key);
      expect(SECRET_KEYS).not.toContain(key);
    }
    const job = of('Job')[0]?.spec?.template?.spec.containers[0];
    expect(job?.command).toEqual(['node', `dist/${BUILD_TARGETS.cli}.js`, 'migrate', '--json']);
  });

  it.each(Object.entries(SERVICES))('%s: command, port, Service, PDB and HPA agree', (name, expected) => {
    const deployment = of('Deployment').find((d) => d.metadata.name === name) as Manifest;
    const podLabels = deployment.spec?.template?.metadata.labels ?? {};
    const selector = deployment.spec?.selector?.matchLabels ?? {};
    expect(podLabels).toMatchObject(selector);
    const container = deployment.spec?.template?.spec.containers[0] as Container;
    expect(container.command).toEqual(['node', expected.file]);
    const env = loadConfig(envOf(container));
    const port = expected.portVar === 'PORT' ? env.http.port : env.dispatch.healthPort;
    expect(port).toBeGreaterThan(0);
    const named = container.ports?.find((p) => p.containerPort === port);
    expect(named).toBeDefined();
    for (const probe of [container.livenessProbe, container.readinessProbe, container.startupProbe])
      expect([named?.name, port]).toContain(probe?.httpGet.port);

    const service = of('Service').find((s) => s.metadata.name === name);
    expect(podLabels).toMatchObject(service?.spec?.selector ?? { missing: true });
    expect(service?.spec?.ports?.map((p) => p.targetPort)).toContain(named?.name);
    const pdb = of('PodDisruptionBudget').find((p) => p.metadata.name === name);
    expect(podLabels).toMatchObject(pdb?.spec?.selector?.matchLabels ?? { missing: true });
    expect(pdb?.spec?.minAvailable).toBeGreaterThanOrEqual(1);
    const hpa = of('HorizontalPodAutoscaler').find((h) => h.metadata.name === name);
    expect(hpa?.spec?.scaleTargetRef).toMatchObject({ kind: 'Deployment', name });
    expect(hpa?.spec?.minReplicas).toBeGreaterThan(pdb?.spec?.minAvailable ?? Infinity);
    if (name === 'flowgate-dispatcher') {
      // The pod outlives the dispatcher's own shutdown deadline.
      const grace = deployment.spec?.template?.spec.terminationGracePeriodSeconds ?? 30;
      expect(grace * 1000).toBeGreaterThan(env.dispatch.shutdownTimeoutMs);
    }
  });

  it("public-api's probe paths and /metrics answer on its real routers", async () => {
    const app = express();
    app.use(healthRouter({ database: () => Promise.resolve(true) }));
    app.use(metricsRouter(undefined));
    const container = of('Deployment').find((d) => d.metadata.name === 'flowgate-public-api')?.spec?.template
      ?.spec.containers[0] as Container;
    for (const probe of [container.livenessProbe, container.readinessProbe, container.startupProbe])
      expect((await request(app).get(probe?.httpGet.path ?? '/missing')).status).toBe(200);
    expect((await request(app).get('/metrics')).status).toBe(200);
  });

  it("the dispatcher's probe paths and /metrics answer on its real health server", async () => {
    const server = startHealthServer({ database: () => Promise.resolve(true) }, 0, { host: '127.0.0.1' });
    await new Promise((resolve) => server.once('listening', resolve));
    const port = (server.address() as AddressInfo).port;
    const container = of('Deployment').find((d) => d.metadata.name === 'flowgate-dispatcher')?.spec?.template
      ?.spec.containers[0] as Container;
    try {
      for (const p of [
        container.livenessProbe,
        container.readinessProbe,
        container.startupProbe,
        { httpGet: { path: '/metrics' } },
      ])
        expect((await fetch(`http://127.0.0.1:${port}${p?.httpGet.path ?? '/missing'}`)).status).toBe(200);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
