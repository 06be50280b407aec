// Images without a container engine: a directory becomes a one-layer OCI image archive that
// `ctr images import` takes. The cluster's own images (pause, CoreDNS) are made this way from the
// programs the tool cache built.
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { must } from './exec';

export interface ImageSpec {
  /** Full reference, e.g. docker.io/qoslab-local/pause:3.10.1. */
  name: string;
  /** Files of the single layer: path in the image → absolute path on this machine. */
  files: Record<string, string>;
  entrypoint: string[];
  user?: string;
  labels?: Record<string, string>;
}

const sha256 = (data: Buffer): string => createHash('sha256').update(data).digest('hex');

/** Writes the OCI archive of `spec` to `archive`; returns the manifest digest. */
export function writeOciArchive(spec: ImageSpec, archive: string): string {
  const work = mkdtempSync(join(tmpdir(), 'qoslab-oci-'));
  try {
    const rootfs = join(work, 'rootfs');
    const layout = join(work, 'layout');
    const blobs = join(layout, 'blobs', 'sha256');
    mkdirSync(blobs, { recursive: true });
    for (const [target, source] of Object.entries(spec.files)) {
      const dest = join(rootfs, target);
      mkdirSync(join(dest, '..'), { recursive: true });
      must('install', ['-m', '0755', source, dest]);
    }
    // Reproducible: fixed owner, mode and time, sorted names.
    const layerTar = join(work, 'layer.tar');
    must('tar', ['--sort=name', '--owner=0', '--group=0', '--numeric-owner', '--mtime=@0', '-C', rootfs, '-cf', layerTar, '.']);
    const blob = (data: Buffer): { digest: string; size: number } => {
      const digest = sha256(data);
      writeFileSync(join(blobs, digest), data);
      return { digest: `sha256:${digest}`, size: data.length };
    };
    const layer = blob(readFileSync(layerTar));
    const config = blob(
      Buffer.from(
        JSON.stringify({
          architecture: process.arch === 'arm64' ? 'arm64' : 'amd64',
          os: 'linux',
          config: { Entrypoint: spec.entrypoint, User: spec.user ?? '65535:65535', Labels: spec.labels ?? {} },
          rootfs: { type: 'layers', diff_ids: [layer.digest] },
        }),
      ),
    );
    const manifest = blob(
      Buffer.from(
        JSON.stringify({
          schemaVersion: 2,
          mediaType: 'application/vnd.oci.image.manifest.v1+json',
          config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config },
          layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', ...layer }],
        }),
      ),
    );
    const tag = spec.name.slice(spec.name.lastIndexOf(':') + 1);
    writeFileSync(join(layout, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
    writeFileSync(
      join(layout, 'index.json'),
      JSON.stringify({
        schemaVersion: 2,
        manifests: [
          {
            mediaType: 'application/vnd.oci.image.manifest.v1+json',
            ...manifest,
            annotations: { 'io.containerd.image.name': spec.name, 'org.opencontainers.image.ref.name': tag },
          },
        ],
      }),
    );
    must('tar', ['--sort=name', '--owner=0', '--group=0', '--numeric-owner', '--mtime=@0', '-C', layout, '-cf', archive, '.']);
    return manifest.digest;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
