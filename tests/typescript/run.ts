// Runs the requests use.ts builds against a server (BASE_URL), reads every object back
// and downloads every file; throws (exit status 1) at the first difference.
import type { components } from "./api";
import { activity, batch, batchItem, campaign, member, type Placed } from "./use";

type Schemas = components["schemas"];
// Node's, without @types/node.
declare const process: { env: Record<string, string | undefined>; exit(code: number): never };

const env = (name: string): string => {
  const value = process.env[name];
  if (value === undefined) throw new Error(`${name} is not set`);
  return value;
};
const BASE_URL = env("BASE_URL");
const API = `${BASE_URL}/api/v1`;

function day(offset: number): string {
  const today = new Date(`${env("TODAY")}T00:00:00Z`);
  today.setUTCDate(today.getUTCDate() + offset);
  return today.toISOString().slice(0, 10);
}

async function send(token: string, method: string, path: string, body?: object): Promise<Response> {
  const response = await fetch(`${API}${path}`, {
    method,
    headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`);
  return response;
}

function sameFields(what: string, sent: object, read: object, besides: string[] = []): void {
  const answered = new Map(Object.entries(read));
  for (const [name, value] of Object.entries(sent)) {
    if (besides.includes(name)) continue;
    const expected = JSON.stringify(value);
    const found = JSON.stringify(answered.get(name));
    if (expected !== found) throw new Error(`${what}.${name}: sent ${expected}, read ${found}`);
  }
}

async function main(): Promise<void> {
  const login = await fetch(`${API}/auth/token`, {
    method: "POST",
    body: new URLSearchParams({
      grant_type: "password",
      username: env("USERNAME"),
      password: env("PASSWORD"),
    }),
  });
  const tokens: Schemas["TokenResponse"] = await login.json();
  const token = tokens.access_token;

  const teamBody: Schemas["TeamCreate"] = { unit_id: env("VILLAGE_ID"), name: "Tổ CNSCĐ TypeScript" };
  const team: Schemas["TeamRead"] = await (await send(token, "POST", "/teams", teamBody)).json();

  const newMember = member(team.id, day(-30));
  const madeMember: Schemas["MemberDetail"] = await (await send(token, "POST", "/members", newMember)).json();
  const readMember: Schemas["MemberDetail"] = await (await send(token, "GET", `/members/${madeMember.id}`)).json();
  sameFields("member", newMember, readMember, ["replace_leader"]);

  const code = `cds-ts-${crypto.randomUUID().slice(0, 8)}`;
  const newCampaign = campaign(code, env("PROVINCE_ID"), day(-5), day(5));
  const madeCampaign: Schemas["CampaignRead"] = await (await send(token, "POST", "/campaigns", newCampaign)).json();
  const readCampaign: Schemas["CampaignRead"] = await (await send(token, "GET", `/campaigns/${madeCampaign.id}`)).json();
  sameFields("campaign", newCampaign, readCampaign, ["categories", "indicators"]);
  const targets = readCampaign.indicators.map((i) => `${i.code}=${i.target}`).sort().join(",");
  if (targets !== "people_guided=5000,vneid_level2_activated=null") throw new Error(`targets ${targets}`);

  const at: Placed = {
    teamId: team.id,
    villageId: env("VILLAGE_ID"),
    memberId: madeMember.id,
    campaignId: madeCampaign.id,
  };
  const newActivity = activity(crypto.randomUUID(), at, day(-1));
  await send(token, "POST", "/activities", newActivity);
  const readActivity: Schemas["ActivityRead"] = await (await send(token, "GET", `/activities/${newActivity.id}`)).json();
  sameFields("activity", newActivity, readActivity);

  const item = batchItem(crypto.randomUUID(), at, day(-2));
  const result: Schemas["BatchResult"] = await (await send(token, "POST", "/activities/batch", batch([item]))).json();
  if (result.created !== 1) throw new Error(`batch: ${JSON.stringify(result)}`);
  const readItem: Schemas["ActivityRead"] = await (await send(token, "GET", `/activities/${item.id}`)).json();
  sameFields("batch item", item, readItem);

  for (const format of ["xlsx", "csv"]) {
    for (const path of ["/members/export", "/teams/export", "/activities/export", "/members/import-template"]) {
      const bytes = new Uint8Array(await (await send(token, "GET", `${path}?format=${format}`)).arrayBuffer());
      if (bytes.length === 0) throw new Error(`${path} ${format}: empty`);
    }
  }
  const overview = await (await send(token, "GET", "/stats/overview?format=csv")).text();
  if (!overview.trim()) throw new Error("overview CSV: empty");
  console.log("ok");
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
