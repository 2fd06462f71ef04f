// Code a TypeScript integrator writes with the types openapi-typescript generates from
// the served /openapi.json: every request below is built without a cast, with every
// field a client may write, and `tsc --strict` checks it.
import type { components, operations, paths } from "./api";

type Schemas = components["schemas"];
export type Team = Schemas["TeamRead"];
export type Problem = Schemas["Problem"];
export type TeamsPage =
  operations["list_teams"]["responses"][200]["content"]["application/json"];
export type NewMember =
  paths["/api/v1/members"]["post"]["requestBody"]["content"]["application/json"];
export type NewCampaign = Schemas["CampaignCreate"];
export type NewActivity = Schemas["ActivityCreate"];
export type Batch = Schemas["ActivityBatch"];
export type BatchItem = Schemas["ActivityBatchItem"];

export function teamNames(page: TeamsPage): string[] {
  return page.items.map((team: Team) => team.name);
}

export function problemCode(problem: Problem): string {
  return problem.code;
}

export function member(teamId: string, joinedOn: string): NewMember {
  return {
    full_name: "Nguyễn Thị Lan Anh",
    gender: "female",
    birth_year: 1996,
    phone: "0912345678",
    email: "lan.anh@kontum.gov.vn",
    affiliation: "police",
    organisation: "Công an xã Đắk Pék",
    role: "leader",
    replace_leader: true,
    skill_level: "advanced",
    team_id: teamId,
    joined_on: joinedOn,
  };
}

export function campaign(
  code: string,
  provinceId: string,
  startsOn: string,
  endsOn: string,
): NewCampaign {
  return {
    code,
    name: "Cao điểm chuyển đổi số của tỉnh",
    description: "Đi từng ngõ, gõ từng nhà, hướng dẫn từng người dân",
    scope_unit_id: provinceId,
    starts_on: startsOn,
    ends_on: endsOn,
    grace_days: 2,
    categories: ["online_public_services", "vneid"],
    indicators: [
      { code: "people_guided", target: 5000 },
      { code: "vneid_level2_activated", target: null },
    ],
  };
}

export interface Placed {
  teamId: string;
  villageId: string;
  memberId: string;
  campaignId: string;
}

export function activity(id: string, at: Placed, day: string): NewActivity {
  return {
    id,
    team_id: at.teamId,
    activity_date: day,
    unit_id: at.villageId,
    categories: ["vneid"],
    member_ids: [at.memberId],
    values: { people_guided: 35, vneid_level2_activated: 12 },
    campaign_id: at.campaignId,
    organisation: "VNPT Kon Tum",
    partner_staff: 2,
    description: "Hướng dẫn kích hoạt VNeID mức 2 tại nhà văn hoá thôn",
  };
}

export function batchItem(id: string, at: Placed, day: string): BatchItem {
  return {
    ...activity(id, at, day),
    id,
    categories: ["online_public_services", "vneid"],
    values: { people_guided: 18, vneid_level2_activated: 4 },
    organisation: "Viettel Kon Tum",
    partner_staff: 1,
    description: "Ghi nhận ngoại tuyến",
  };
}

export function batch(items: BatchItem[]): Batch {
  return { activities: items };
}
