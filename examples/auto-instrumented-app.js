// A plain node:http service that knows nothing about monitoring. Run it instrumented with:
//
//   npm run build
//   OTEL_SERVICE_NAME=hello OTEL_EXPORTER_OTLP_ENDPOINT=http://localhost:4318 \
//     node --import service-infrastructure/register examples/auto-instrumented-app.js
//
// GET /          -> "hello"
// GET /fail      -> 500
// GET /proxy     -> calls DOWNSTREAM_URL (another service) with http.get and relays its answer
// PORT (default 0: a free port) is printed as "listening <port>" once the server is up.
import http from 'node:http';

const downstream = process.env.DOWNSTREAM_URL;

const server = http.createServer((req, res) => {
  if (req.url === '/fail') {
    res.writeHead(500, { 'content-type': 'text/plain' });
    res.end('failed\n');
    return;
  }
  if (req.url?.startsWith('/proxy') && downstream) {
    http
      .get(`${downstream}/work`, (down) => {
        let body = '';
        down.setEncoding('utf8');
        down.on('data', (chunk) => (body += chunk));
        down.on('end', () => {
          res.writeHead(down.statusCode ?? 502, { 'content-type': 'text/plain' });
          res.end(`downstream said: ${body}`);
        });
      })
      .on('error', (err) => {
        res.writeHead(502);
        res.end(String(err));
      });
    return;
  }
  res.writeHead(200, { 'content-type': 'text/plain' });
  res.end('hello\n');
});

server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  console.log(`listening ${server.address().port}`);
});
