// A node:http service that measures phases of its own work. Started with
// `node --import service-infrastructure/register`, it finds the monitoring that register built and
// its phases join the trace of the incoming request (W3C traceparent), so a caller, this
// service's SERVER span and the phases below all show up as one trace.
//
// GET /work -> measures "load-order" and, inside it, "price-order"; answers "done".
import http from 'node:http';
import { getRegisteredMonitoring } from 'service-infrastructure';

const monitoring = getRegisteredMonitoring();
if (monitoring === undefined) throw new Error('start me with node --import service-infrastructure/register');
const { coordinator } = monitoring;

const server = http.createServer(async (req, res) => {
  const total = await coordinator.measure('load-order', async () => {
    await new Promise((resolve) => setTimeout(resolve, 5));
    return coordinator.measure('price-order', () => 42);
  });
  res.writeHead(200, { 'content-type': 'text/plain' });
  res.end(`done ${total}\n`);
});

server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  console.log(`listening ${server.address().port}`);
});
