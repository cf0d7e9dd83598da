import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { buildPackageBuffer } from '../../src/adapters/images/package-writer.js';
import { startHttpOrigin } from '../helpers/http-origin.js';
import { tempDir } from '../helpers/package-fixtures.js';
import { serveCli } from '../helpers/server-process.js';

/**
 * NetApp's own Ansible collection (netapp.ontap, from Debian's `ansible` package, which .ci/run installs)
 * drives the server exactly as it would drive a cluster: version probe, package listing, download job,
 * job polling, rest_info, package removal.
 */
const hasAnsible = spawnSync('ansible-playbook', ['--version']).status === 0;

function playbook(dir: string, file: string): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn('ansible-playbook', [file], {
      cwd: dir,
      env: {
        ...process.env,
        ANSIBLE_NOCOLOR: '1',
        ANSIBLE_STDOUT_CALLBACK: 'json',
        ANSIBLE_LOCALHOST_WARNING: 'false',
      },
    });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (out += c.toString()));
    child.on('exit', (code) => {
      resolve({ code, out });
    });
  });
}

interface TaskResult {
  changed?: boolean;
  failed?: boolean;
  msg?: string;
  warnings?: string[];
  ontap_info?: Record<string, unknown>;
}

function results(out: string): Record<string, TaskResult> {
  const start = out.indexOf('{');
  const doc = JSON.parse(out.slice(start)) as {
    plays: { tasks: { task: { name: string }; hosts: { localhost: TaskResult } }[] }[];
  };
  const map: Record<string, TaskResult> = {};
  for (const t of doc.plays[0]?.tasks ?? []) map[t.task.name] = t.hosts.localhost;
  return map;
}

test(
  'the netapp.ontap Ansible collection downloads, lists and removes a package',
  { skip: hasAnsible ? false : 'ansible-playbook is not installed (.ci/run installs it)' },
  async (t) => {
    const dir = await tempDir(t, 'clusterimage-e2e-');
    const origin = await startHttpOrigin({
      files: {
        '/images/9171_q_image.tgz': buildPackageBuffer({
          version: '9.17.1',
          members: [{ name: 'x.bin', data: Buffer.alloc(100_000, 1) }],
        }),
      },
      modes: { '/images/9999_q_image.tgz': { kind: 'notFound' } },
    });
    t.after(() => origin.close());
    const { url } = await serveCli(t, ['--port', '0', '--data-dir', join(dir, 'data')], {
      CLUSTERIMAGE_ADMIN_PASSWORD: 'ansible-Pw-1',
    });
    const port = new URL(url).port;
    const login = `hostname: 127.0.0.1
        http_port: ${port}
        username: admin
        password: ansible-Pw-1
        https: true
        validate_certs: false`;
    await writeFile(
      join(dir, 'play.yml'),
      `- hosts: localhost
  gather_facts: false
  collections: [netapp.ontap]
  tasks:
    - name: download
      na_ontap_software_update:
        ${login}
        package_url: ${origin.url}/images/9171_q_image.tgz
        package_version: "9.17.1"
        download_only: true
        timeout: 120
    - name: again
      na_ontap_software_update:
        ${login}
        package_url: ${origin.url}/images/9171_q_image.tgz
        package_version: "9.17.1"
        download_only: true
    - name: info
      na_ontap_rest_info:
        ${login}
        gather_subset: [cluster/software, cluster/software/packages, cluster/software/download, cluster/jobs]
        fields: ['*']
    - name: missing
      na_ontap_software_update:
        ${login}
        package_url: ${origin.url}/images/9999_q_image.tgz
        package_version: "9.99.9"
        download_only: true
        timeout: 120
      ignore_errors: true
    - name: remove
      na_ontap_software_update:
        ${login}
        package_version: "9.17.1"
        state: absent
`,
    );
    const { code, out } = await playbook(dir, 'play.yml');
    assert.equal(code, 0, out);
    const r = results(out);
    const task = (name: string): TaskResult => {
      const found = r[name];
      assert.ok(found, `no result for task ${name}`);
      return found;
    };
    assert.equal(task('download').changed, true, JSON.stringify(r.download));
    assert.equal(task('again').changed, false);
    assert.deepEqual(task('again').warnings, ['Package 9.17.1 is already present, skipping download.']);
    const info = task('info').ontap_info ?? {};
    const packages = info['cluster/software/packages'] as { records: { version: string }[] };
    assert.deepEqual(
      packages.records.map((p) => p.version),
      ['9.17.1'],
    );
    assert.deepEqual(info['cluster/software/download'], { state: 'success', message: 'success', code: 0 });
    assert.equal(task('missing').failed, true);
    assert.match(
      task('missing').msg ?? '',
      new RegExp(
        `^Error downloading software: job reported error: Package download failed: the server returned HTTP 404 Not Found for ${origin.url}/images/9999_q_image.tgz\\.`,
      ),
    );
    assert.equal(task('remove').changed, true);
  },
);
