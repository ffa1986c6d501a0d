import * as h from './extension/helpers.mjs';
const demo = await h.startDemo(['--poll', '60s', '--reports-every', '0']);
const b = await h.launch({ dist: process.env.D, host: false });
const lines = [];
b.ctx.on('console', (m) => m.text().startsWith('LLPROF') && lines.push(m.text()));
for (let i = 0; i < 40; i++) { const page = await b.ctx.newPage(); await page.goto(`${demo.base}/signin`); await new Promise((r) => setTimeout(r, 200)); await page.close(); }
const acc = {};
for (const l of lines.slice(10)) { const [, who, json] = l.match(/LLPROF (\w+) (.*)/); let prev = 0; for (const [k, t] of JSON.parse(json)) { (acc[who + ' ' + k] ||= []).push(t - prev); prev = t; } }
for (const [k, v] of Object.entries(acc)) console.log(k.padEnd(28), (v.reduce((a, b) => a + b, 0) / v.length).toFixed(3), 'ms mean of', v.length);
await b.close(); demo.stop();
