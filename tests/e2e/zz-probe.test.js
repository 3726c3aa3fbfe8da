import { it } from 'vitest';
import WebSocket from 'ws';
it('probe', async () => {
  const B='http://127.0.0.1:8799/__ablauf';
  const id='p'+Date.now();
  await fetch(B+'/workflows',{method:'POST',body:JSON.stringify({type:'sse-test',id,payload:{itemCount:6}})});
  const t0=Date.now();
  const ws=new WebSocket(B.replace('http','ws')+'/workflows/'+id+'/ws');
  ws.on('message',(d)=>console.log('msg',Date.now()-t0,d.toString()));
  await new Promise(r=>ws.on('close',(c,rr)=>{console.log('close',Date.now()-t0,c);r()}));
}, 30000);
