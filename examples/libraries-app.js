// An ESM service using pg and ioredis, with no monitoring code. Under
// `node --import service-infrastructure/register` (MONITORING_INSTRUMENTATIONS=http,pg,ioredis),
// each query and Redis command becomes a CLIENT span inside the request's SERVER span.
//
// Env: DATABASE_URL (default postgres://postgres@127.0.0.1:5432/test), REDIS_URL (required), PORT.
// GET /order -> runs SELECT 1 on PostgreSQL and SET/GET on Redis, answers JSON.
import http from 'node:http';
import pg from 'pg';
import { Redis } from 'ioredis';

const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test', max: 2 });
const redis = new Redis(process.env.REDIS_URL, { maxRetriesPerRequest: 1 });

const server = http.createServer(async (req, res) => {
  try {
    const { rows } = await pool.query('SELECT 1 AS one');
    await redis.set('last-order', String(rows[0].one));
    const cached = await redis.get('last-order');
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ one: rows[0].one, cached }));
  } catch (err) {
    res.writeHead(500);
    res.end(String(err));
  }
});

server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  console.log(`listening ${server.address().port}`);
});

// Graceful stop: once the server and clients are closed the event loop empties and the process
// exits by itself (register flushes telemetry on the way out).
process.once('SIGTERM', () => {
  server.close();
  server.closeAllConnections();
  void pool.end();
  void redis.quit();
});
