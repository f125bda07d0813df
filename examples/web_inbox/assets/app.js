// The unibox web inbox page. Plain JavaScript, no build step.
// Every piece of message content is put on the page with textContent (or as an <img> URL
// checked to be http(s)), never as HTML; the server's content security policy forbids inline
// scripts as a second line of defence.
'use strict';

const state = { session: null, csrf: null, selected: null, agents: [], timer: null, pending: new Set() };
const $ = (id) => document.getElementById(id);
const KINDS = {
  line: ['text', 'image', 'sticker', 'location'],
  messenger: ['text', 'image', 'postback', 'delivered'],
  web: ['text', 'image', 'buttons', 'location'],
};
const CHANNEL_LABEL = { line: 'LINE', messenger: 'Messenger', webhook: 'Web shop' };
const CHANNEL_ICON = { line: 'LINE', messenger: 'M', webhook: 'WEB' };

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = String(text);
  return node;
}

async function call(method, path, body) {
  const headers = {};
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET' && state.csrf) headers['x-csrf-token'] = state.csrf;
  const response = await fetch(path, {
    method, headers, credentials: 'same-origin',
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  const json = text ? JSON.parse(text) : null;
  if (!response.ok) {
    const error = new Error(json && json.error ? json.error.message : response.statusText);
    error.status = response.status;
    throw error;
  }
  return json;
}
const api = (method, path, body) => call(method, '/api' + path, body);

async function boot() {
  try {
    const me = await api('GET', '/session');
    start(me);
  } catch (_) {
    $('sign-in').hidden = false;
  }
  for (const button of document.querySelectorAll('.demo-users button')) {
    button.addEventListener('click', () => signIn(button.dataset.user));
  }
}

async function signIn(user) {
  $('sign-in-error').textContent = '';
  try {
    const signedIn = await api('POST', '/session', { tenant: 'demo', user, password: 'demo' });
    start(signedIn);
  } catch (error) {
    $('sign-in-error').textContent = error.message;
  }
}

function start(signedIn) {
  state.session = signedIn.session;
  state.csrf = signedIn.csrf_token;
  $('sign-in').hidden = true;
  $('inbox').hidden = false;
  const role = state.session.role;
  $('whoami').textContent = state.session.user + ' (' + role + ')';
  document.body.dataset.role = role;
  if (role === 'viewer') {
    // A viewer gets no reply box and no workflow controls at all, not disabled ones.
    $('composer').remove();
    $('conv-actions').remove();
    $('read-only').hidden = false;
  }
  $('sign-out').addEventListener('click', signOut);
  $('filter-status').addEventListener('change', refreshList);
  $('filter-assignee').addEventListener('change', refreshList);
  let searchTimer = null;
  $('search').addEventListener('input', () => { clearTimeout(searchTimer); searchTimer = setTimeout(refreshList, 250); });
  wireConversationActions();
  wireSimulator();
  loadAgents().then(refreshList);
  listen();
}

async function signOut() {
  try { await api('DELETE', '/session'); } finally { location.reload(); }
}

async function loadAgents() {
  try { state.agents = (await api('GET', '/agents')).items; } catch (_) { state.agents = []; }
}

function customerName(row) {
  if (row.contact.name) return row.contact.name;
  return (CHANNEL_LABEL[row.channel.kind] || 'Customer') + ' customer ' + row.contact.id.slice(-4);
}

// Up to two initials of a name, for contacts without a picture.
function initials(name) {
  const words = name.trim().split(/\s+/).filter(Boolean);
  return words.slice(0, 2).map((word) => Array.from(word)[0]).join('').toUpperCase() || '?';
}

// The contact's picture from their platform (LINE, Messenger, ...), or their initials when
// there is none yet (profiles arrive a moment after the first message) or it fails to load.
// The URL is only ever an attribute of an <img>, and only an http(s) one.
function avatar(row) {
  const box = el('span', 'avatar');
  const fallback = () => {
    box.replaceChildren();
    box.classList.add('initials');
    box.textContent = initials(customerName(row));
  };
  const url = row.contact.avatar_url;
  if (url && /^https?:\/\//i.test(url)) {
    const img = el('img');
    img.alt = '';
    img.referrerPolicy = 'no-referrer';
    img.addEventListener('error', fallback, { once: true });
    img.src = url;
    box.append(img);
  } else {
    fallback();
  }
  return box;
}

function relativeTime(millis) {
  const seconds = Math.max(0, Math.round((Date.now() - millis) / 1000));
  if (seconds < 60) return 'just now';
  if (seconds < 3600) return Math.floor(seconds / 60) + ' min ago';
  return new Date(millis).toLocaleTimeString();
}

function preview(message) {
  if (!message) return '';
  const who = message.direction === 'outbound' ? 'You: ' : '';
  return who + (message.text || '[' + message.kind + ']');
}

async function refreshList() {
  const query = $('search').value.trim();
  let rows;
  try {
    if (query) {
      const found = await api('GET', '/search?q=' + encodeURIComponent(query) + '&limit=50');
      const ids = [...new Set(found.items.map((m) => m.conversation))];
      rows = await Promise.all(ids.map((id) => api('GET', '/conversations/' + id)));
    } else {
      const params = new URLSearchParams();
      if ($('filter-status').value) params.set('status', $('filter-status').value);
      if ($('filter-assignee').value) params.set('assignee', $('filter-assignee').value);
      rows = (await api('GET', '/conversations?' + params)).items;
    }
  } catch (error) {
    if (error.status === 401) location.reload();
    return;
  }
  const list = $('conversations');
  list.replaceChildren(...rows.map(renderRow));
  $('empty').hidden = rows.length > 0;
}

function renderRow(row) {
  const item = el('li');
  item.dataset.id = row.id;
  item.dataset.channel = row.channel.kind;
  if (row.id === state.selected) item.classList.add('selected');
  const who = el('span', 'who');
  who.append(avatar(row), el('span', 'channel-icon ' + row.channel.kind, CHANNEL_ICON[row.channel.kind] || '?'));
  item.append(who);
  item.append(el('span', 'name', customerName(row)));
  const badge = el('span', 'badge', row.unread_count > 0 ? row.unread_count : '');
  if (row.unread_count === 0) badge.hidden = true;
  item.append(badge);
  item.append(el('span', 'preview', preview(row.last_message)));
  const assignee = row.assignee ? '@' + row.assignee : 'unassigned';
  item.append(el('span', 'meta', row.status + ' · ' + assignee + ' · ' + relativeTime(row.last_activity_at)));
  item.addEventListener('click', () => select(row.id));
  return item;
}

async function select(id) {
  state.selected = id;
  for (const item of $('conversations').children) item.classList.toggle('selected', item.dataset.id === id);
  $('no-selection').hidden = true;
  $('conversation').hidden = false;
  await refreshConversation();
}

function windowText(window) {
  switch (window.state) {
    case 'open': {
      const minutes = Math.max(0, Math.round((window.closes_at - Date.now()) / 60000));
      const span = minutes >= 48 * 60 ? Math.round(minutes / 1440) + ' d'
        : minutes >= 60 ? Math.round(minutes / 60) + ' h' : minutes + ' min';
      return ['window closes in ' + span, ''];
    }
    case 'template_required': return ['template required', 'closed'];
    case 'closed': return ['window closed until the customer writes', 'closed'];
    default: return ['no messaging window', ''];
  }
}

async function refreshConversation() {
  const id = state.selected;
  if (!id) return;
  let row, messages, notes, orders;
  try {
    [row, messages, notes, orders] = await Promise.all([
      api('GET', '/conversations/' + id),
      api('GET', '/conversations/' + id + '/messages?limit=100'),
      api('GET', '/conversations/' + id + '/notes'),
      api('GET', '/conversations/' + id + '/orders'),
    ]);
  } catch (error) {
    $('action-error').textContent = error.message;
    return;
  }
  if (id !== state.selected) return;
  // The agent is looking at it: what arrives while it is open is read.
  if (row.unread_count > 0) api('POST', '/conversations/' + id + '/read').catch(() => {});
  $('conv-avatar').replaceChildren(avatar(row));
  const icon = $('conv-icon');
  icon.className = 'channel-icon ' + row.channel.kind;
  icon.textContent = CHANNEL_ICON[row.channel.kind] || '?';
  $('conv-name').textContent = customerName(row);
  $('conv-channel').textContent = ' on ' + row.channel.name;
  $('conv-status').textContent = row.status;
  const [text, className] = windowText(row.window);
  $('conv-window').textContent = text;
  $('conv-window').className = 'window ' + className;
  $('conv-tags').replaceChildren(...row.tags.map((tag) => el('span', 'tag', tag)));
  const assignee = $('assignee');
  if (assignee) {
    const options = [el('option', '', 'Unassigned')];
    options[0].value = '';
    for (const agent of state.agents) {
      const option = el('option', '', agent.user);
      option.value = agent.user;
      options.push(option);
    }
    assignee.replaceChildren(...options);
    assignee.value = row.assignee || '';
    $('resolve').hidden = row.status === 'resolved';
    $('reopen').hidden = row.status !== 'resolved';
  }
  const list = $('messages');
  list.replaceChildren(...messages.items.slice().reverse().map(renderMessage));
  list.scrollTop = list.scrollHeight;
  // Orders beside the chat, where the channel has them (marketplaces).
  $('orders-section').hidden = orders.items.length === 0;
  $('orders').replaceChildren(...orders.items.map((order) => el('li', '', [
    '#' + order.order_id, order.status,
    order.total ? order.total + ' ' + (order.currency || '') : null,
    order.tracking_number ? 'tracking ' + order.tracking_number : null,
  ].filter(Boolean).join(' · '))));
  $('notes').replaceChildren(...notes.items.map((note) =>
    el('li', '', note.author + ': ' + note.body + ' (' + new Date(note.created_at).toLocaleTimeString() + ')')));
}

function httpUrl(source) {
  return source && source.kind === 'url' && /^https?:\/\//.test(source.url) ? source.url : null;
}

function renderContent(message) {
  const c = message.content;
  const body = el('div', 'body');
  switch (c.type) {
    case 'text': body.textContent = c.text; break;
    case 'image': {
      const url = httpUrl(c.source);
      if (url) { const img = el('img'); img.src = url; img.alt = c.caption || 'image'; body.append(img); }
      else body.append(el('span', 'muted', '[image kept on the platform]'));
      if (c.caption) body.append(el('div', '', c.caption));
      break;
    }
    case 'sticker': {
      body.append(el('span', '', 'Sticker ' + (c.package_id ? c.package_id + '/' : '') + c.sticker_id));
      break;
    }
    case 'location': {
      const place = [c.name, c.address].filter(Boolean).join(', ');
      body.textContent = (place ? place + ' ' : '') + '(' + c.latitude + ', ' + c.longitude + ')';
      break;
    }
    case 'buttons':
    case 'quick_replies': {
      body.append(el('div', '', c.text));
      const buttons = el('div', 'buttons');
      for (const button of (c.buttons || c.replies || [])) buttons.append(el('span', '', button.title));
      body.append(buttons);
      break;
    }
    case 'postback': body.textContent = 'Tapped "' + (c.title || c.payload) + '"'; break;
    default: body.textContent = message.text || '[' + message.kind + ']';
  }
  return body;
}

function tick(delivery) {
  switch (delivery.status) {
    case 'queued': return el('span', 'tick', '· queued');
    case 'sending': return el('span', 'tick', '… sending');
    case 'sent': return el('span', 'tick sent', '✓ sent');
    case 'delivered': return el('span', 'tick delivered', '✓✓ delivered');
    case 'read': return el('span', 'tick read', '✓✓ read');
    case 'failed': return el('span', 'tick failed', '⚠ failed: ' + delivery.reason);
    default: return el('span', 'tick', '');
  }
}

function renderMessage(message) {
  const item = el('li', message.direction);
  item.dataset.kind = message.kind;
  item.dataset.delivery = message.delivery.status;
  if (message.kind !== 'text') item.append(el('div', 'kind', message.kind.replace('_', ' ')));
  item.append(renderContent(message));
  const footer = el('div', 'footer', new Date(message.sent_at).toLocaleTimeString() + ' ');
  if (message.direction === 'outbound') footer.append(tick(message.delivery));
  item.append(footer);
  return item;
}

function wireConversationActions() {
  const act = async (action) => {
    $('action-error').textContent = '';
    try { await action(); } catch (error) { $('action-error').textContent = error.message; }
    await Promise.all([refreshConversation(), refreshList()]);
  };
  const composer = $('composer');
  if (composer) {
    composer.addEventListener('submit', (event) => {
      event.preventDefault();
      const text = $('reply-text').value;
      if (!text.trim()) return;
      act(async () => {
        $('reply-text').value = '';
        await api('POST', '/conversations/' + state.selected + '/messages', { text });
      });
    });
    $('send-note').addEventListener('click', () => {
      const body = $('reply-text').value;
      if (!body.trim()) return;
      act(async () => {
        $('reply-text').value = '';
        await api('POST', '/conversations/' + state.selected + '/notes', { body });
      });
    });
  }
  if ($('conv-actions')) {
    $('assignee').addEventListener('change', () => act(() =>
      api('POST', '/conversations/' + state.selected + '/assignee', { user: $('assignee').value || null })));
    $('tag-add').addEventListener('click', () => {
      const tag = $('tag-input').value.trim();
      if (!tag) return;
      $('tag-input').value = '';
      act(() => api('POST', '/conversations/' + state.selected + '/tags', { add: [tag] }));
    });
    $('resolve').addEventListener('click', () => act(() => api('POST', '/conversations/' + state.selected + '/resolve')));
    $('reopen').addEventListener('click', () => act(() => api('POST', '/conversations/' + state.selected + '/reopen')));
  }
}

function wireSimulator() {
  const kinds = () => {
    const options = KINDS[$('sim-channel').value].map((kind) => { const o = el('option', '', kind); o.value = kind; return o; });
    $('sim-kind').replaceChildren(...options);
  };
  $('sim-channel').addEventListener('change', kinds);
  kinds();
  $('simulate').addEventListener('submit', async (event) => {
    event.preventDefault();
    const request = {
      channel: $('sim-channel').value, customer: $('sim-customer').value,
      kind: $('sim-kind').value, text: $('sim-text').value,
    };
    try {
      const answer = await call('POST', '/sandbox/simulate', request);
      $('sim-result').textContent = 'The ' + request.channel + ' webhook was answered ' + answer.webhook_status + '.';
    } catch (error) {
      $('sim-result').textContent = 'Not sent: ' + error.message;
    }
  });
}

// Live updates: the hub's change log as server-sent events. EventSource reconnects by itself
// and sends Last-Event-ID, so nothing is missed across a dropped connection.
function listen() {
  const events = new EventSource('/api/events');
  events.onopen = () => $('live').classList.add('on');
  events.onerror = () => $('live').classList.remove('on');
  // The session ended (signed out elsewhere, terminated, timed out): the server closed the
  // stream; stop it reconnecting and show the sign-in page.
  events.addEventListener('session_ended', () => { events.close(); location.reload(); });
  const kinds = ['message_added', 'message_changed', 'delivery_changed', 'conversation_changed', 'note_added', 'account_changed', 'event_logged'];
  for (const kind of kinds) {
    events.addEventListener(kind, (event) => {
      const change = JSON.parse(event.data);
      if (change.conversation) state.pending.add(change.conversation);
      clearTimeout(state.timer);
      state.timer = setTimeout(applyChanges, 150);
    });
  }
}

function applyChanges() {
  const touched = state.pending;
  state.pending = new Set();
  refreshList();
  if (state.selected && touched.has(state.selected)) refreshConversation();
}

boot();
