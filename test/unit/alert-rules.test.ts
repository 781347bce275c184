import path from 'node:path';
import { promtool } from '../support/promtool';

const OPS = path.join(__dirname, '..', '..', 'ops', 'prometheus');

describe('Prometheus alerting rules (ops/prometheus)', () => {
  it('are valid rules', async () => {
    expect(await promtool(['check', 'rules', path.join(OPS, 'alerts.yml')])).toMatch(
      /SUCCESS: 9 rules found/,
    );
  });

  it('pass their unit tests (promtool test rules)', async () => {
    expect(await promtool(['test', 'rules', path.join(OPS, 'alerts.test.yml')])).toMatch(/SUCCESS/);
  });

  it('ship a scrape configuration for the dev cluster that loads them', async () => {
    expect(await promtool(['check', 'config', path.join(OPS, 'prometheus.yml')])).toMatch(/SUCCESS/);
  });
});
