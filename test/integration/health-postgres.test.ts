import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HealthCheckManager } from '../../src/health/HealthCheckManager.js';
import { ConnectionPoolHealthChecker } from '../../src/health/checkers/ConnectionPoolHealthChecker.js';
import { DataConsistencyHealthChecker } from '../../src/health/checkers/DataConsistencyHealthChecker.js';

const PG = { host: process.env['PGHOST'] ?? '127.0.0.1', port: Number(process.env['PGPORT'] ?? 5432), database: process.env['PGDATABASE'] ?? 'test' };
const USER = process.env['PGUSER'] ?? 'postgres';
const table = `health_orders_${process.pid}`;

describe('ConnectionPoolHealthChecker against the real PostgreSQL', () => {
  let pool: pg.Pool;
  const managers: HealthCheckManager[] = [];
  const manager = () => {
    const m = new HealthCheckManager({ background: false });
    managers.push(m);
    return m;
  };

  beforeAll(async () => {
    pool = new pg.Pool({ ...PG, user: USER, max: 2 });
    await pool.query(`CREATE TABLE IF NOT EXISTS ${table} (id int PRIMARY KEY, customer_id int)`);
    await pool.query(`TRUNCATE ${table}`);
  });

  afterAll(async () => {
    for (const m of managers) await m.shutdown(100);
    await pool.query(`DROP TABLE IF EXISTS ${table}`);
    await pool.end();
  });

  it('is healthy with a real query and reports occupancy', async () => {
    const m = manager();
    m.registerCheck('database', new ConnectionPoolHealthChecker(pool));
    const r = await m.checkComponent('database');
    expect(r?.status).toBe('healthy');
    expect(r?.details).toMatchObject({ max: 2, waiting: 0 });
    expect(typeof r?.details['queryMs']).toBe('number');
  });

  it('is degraded while the pool is exhausted, and healthy once clients return', async () => {
    const m = manager();
    m.registerCheck('database', new ConnectionPoolHealthChecker(pool), { timeoutMs: 2000 });
    const a = await pool.connect();
    const b = await pool.connect();
    const queued = pool.query('SELECT 1 AS queued');
    const r = await m.checkComponent('database');
    expect(r?.status).toBe('degraded');
    expect(r?.reason).toBe('pool exhausted: 2/2 connections in use, 1 waiting (probe query not sent)');
    expect(r?.details).toMatchObject({ total: 2, idle: 0, inUse: 2, waiting: 1, utilisation: 1 });
    expect((await m.checkHealth()).status).toBe('degraded');
    a.release();
    b.release();
    expect((await queued).rows[0]).toEqual({ queued: 1 });
    const after = await m.checkComponent('database');
    expect(after?.status).toBe('healthy');
  });

  it('is unhealthy with the server reason when the credentials are refused', async () => {
    const badPool = new pg.Pool({ ...PG, user: 'no_such_role_for_health', max: 1 });
    badPool.on('error', () => {});
    try {
      const m = manager();
      m.registerCheck('database', new ConnectionPoolHealthChecker(badPool));
      const r = await m.checkComponent('database');
      expect(r?.status).toBe('unhealthy');
      expect(r?.reason).toBe('role "no_such_role_for_health" does not exist');
      expect(r?.details).toMatchObject({ code: '28000' });
      expect((await m.checkHealth()).status).toBe('unhealthy');
    } finally {
      await badPool.end();
    }
  });

  it('checks a data-consistency invariant with a real SQL query', async () => {
    await pool.query(`INSERT INTO ${table} VALUES (1, 10), (2, 11)`);
    const m = manager();
    m.registerCheck(
      'orders_have_customers',
      new DataConsistencyHealthChecker(
        async () => {
          const { rows } = await pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table} WHERE customer_id IS NULL`);
          const n = rows[0]!.n;
          return { holds: n === 0, observed: n };
        },
        { description: 'every order has a customer' },
      ),
      { category: 'business' },
    );
    expect((await m.checkComponent('orders_have_customers'))?.status).toBe('healthy');
    await pool.query(`INSERT INTO ${table} VALUES (3, NULL)`);
    const r = await m.checkComponent('orders_have_customers');
    expect(r).toMatchObject({ status: 'unhealthy', reason: 'every order has a customer does not hold (observed 1)', observedValue: 1, category: 'business' });
  });
});
