/**
 * A synthetic customer-churn dataset whose distribution can be shifted on purpose.
 *   tsx examples/churn/generate.ts --rows 4000 --seed 1 --shift 0 --out data/current.csv
 * shift 0 is the world the first model learns; larger shifts move features and change how
 * churn depends on them, which is what drift detection and retraining are for.
 */
import { createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { rng } from './random.js';

export const CONTRACTS = ['month-to-month', 'one-year', 'two-year'] as const;
export const INTERNET = ['dsl', 'fiber', 'none'] as const;
export const PAYMENT = ['card', 'bank', 'electronic_check', 'mailed_check'] as const;

export interface GenerateOptions {
  rows: number;
  seed: number;
  shift: number;
  out: string;
  startId?: number;
}

export async function generate(o: GenerateOptions): Promise<void> {
  const r = rng(o.seed);
  await mkdir(path.dirname(o.out), { recursive: true });
  const out = createWriteStream(o.out);
  out.write('customer_id,tenure_months,monthly_charges,contract,internet_service,support_calls,payment_method,signup_date,churned\n');
  const today = Date.UTC(2026, 10, 1);
  for (let i = 0; i < o.rows; i++) {
    const contract = r.pick(CONTRACTS, [0.5 + 0.2 * o.shift, 0.3, 0.2]);
    const internet = r.pick(INTERNET, [0.35, 0.45 + 0.2 * o.shift, 0.2]);
    const payment = r.pick(PAYMENT, [0.3, 0.25, 0.3, 0.15]);
    const tenure = Math.max(0, Math.min(72, Math.round(30 - 10 * o.shift + 18 * r.normal())));
    const charges = Math.max(18, 65 + 15 * o.shift + (internet === 'fiber' ? 20 : 0) + 18 * r.normal());
    const calls = Math.max(0, Math.round(1.5 + o.shift + 1.2 * r.normal()));
    const logit =
      -1.2 +
      (contract === 'month-to-month' ? 1.4 : contract === 'two-year' ? -1.2 : 0) -
      0.045 * tenure +
      0.02 * (charges - 65) +
      (0.35 - 0.25 * o.shift) * calls +
      (internet === 'fiber' ? 0.5 + 0.6 * o.shift : 0) +
      (payment === 'electronic_check' ? 0.5 : 0);
    const churned = r.next() < 1 / (1 + Math.exp(-logit)) ? 1 : 0;
    const signup = new Date(today - tenure * 30 * 86_400_000).toISOString().slice(0, 10);
    const id = (o.startId ?? 1) + i;
    out.write(`${id},${tenure},${charges.toFixed(2)},${contract},${internet},${calls},${payment},${signup},${churned}\n`);
  }
  await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({
    options: {
      rows: { type: 'string', default: '4000' },
      seed: { type: 'string', default: '1' },
      shift: { type: 'string', default: '0' },
      out: { type: 'string' },
    },
  });
  if (!values.out) throw new Error('--out is required');
  await generate({ rows: Number(values.rows), seed: Number(values.seed), shift: Number(values.shift), out: values.out });
}
