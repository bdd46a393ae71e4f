"""The official replies of the demo boards (fictional, written after the real replies of
tests/fixtures/real/replies-sample.csv, PROVENANCE-replies.md): their texts and the class each
was written to be (docs/replies.md), per site and per year.

Every replied letter whose detail page shows a reply gets one. Which class is planted is a
cycle per site (``PLAN``): ``S`` substantive (an answer written for the letter's subject),
``T`` transfer only, ``P`` the answer-like text the site pastes for many letters (a template:
it needs at least three such letters on the site), ``N`` no answer (thanks and promises only).
The web of the year before (``PREVIOUS_PLAN``, served when the demo is built as of a date
before :data:`~evalcrawler.demo.specs.AS_OF`) answered worse on most boards, so the two demo
years differ in B06 答复质量.
"""

from __future__ import annotations

from datetime import date

from evalcrawler.demo.specs import AS_OF

SUBSTANTIVE = "substantive"
TRANSFER_ONLY = "transfer_only"
TEMPLATE = "template"
NO_ANSWER = "no_answer"
CODES = {"S": SUBSTANTIVE, "T": TRANSFER_ONLY, "P": TEMPLATE, "N": NO_ANSWER}

# An answer per letter subject (content.LETTER_SUBJECTS): a finding, an action, a date, a rule.
ANSWERS: dict[str, str] = {
    "关于小区供暖不热的问题": (
        "您好！经热力公司现场核实，该小区3号楼管网存在堵塞，已于上周完成清洗，室温已达到18℃以上。"
    ),
    "咨询新生儿医保办理流程": (
        "您好！新生儿可在出生后90天内凭出生医学证明和户口簿到社区医保窗口办理参保，当年个人缴费38"
        "0元。"
    ),
    "反映道路路灯长期不亮": (
        "您好！经查，该路段路灯因电缆被盗断电，我局已更换电缆120米，路灯已于本月5日恢复照明。"
    ),
    "关于老旧小区加装电梯的建议": (
        "您好！根据《既有住宅加装电梯实施办法》，同一单元三分之二以上业主同意即可申请，每部电梯补"
        "贴20万元。"
    ),
    "咨询灵活就业人员社保缴费": (
        "您好！灵活就业人员可按上年度社平工资的60%至300%自选缴费基数，通过税务APP按月缴纳。"
    ),
    "反映夜间施工噪音扰民": (
        "您好！执法人员经夜间核查，该工地确有22时后施工的情况，已依法立案并处罚款，责令其夜间停止"
        "作业。"
    ),
    "关于学校周边交通拥堵的建议": (
        "您好！交警大队已在该校门口增设临时停车位30个，上下学时段安排两名警力疏导，拥堵明显缓解。"
    ),
    "咨询公租房申请条件": (
        "您好！申请公租房需本市户籍、家庭人均月收入低于2000元且无自有住房，材料交至街道住房保障窗"
        "口。"
    ),
    "反映小区垃圾清运不及时": (
        "您好！经核实，该片区清运车辆曾因故障停运两天，现已增加一辆清运车，每日清运两次。"
    ),
    "关于公交线路调整的建议": (
        "您好！公交公司采纳了您的建议，自下月1日起12路延伸至高铁站，发车间隔调整为10分钟。"
    ),
    "咨询个体工商户注册流程": (
        "您好！根据《市场主体登记管理条例》，个体工商户可在政务服务网全程网办，提交身份证和经营场"
        "所证明，一个工作日内发放营业执照。"
    ),
    "反映农贸市场占道经营": (
        "您好！经核实，城管中队已对该市场周边占道摊点进行整治，清理摊位16处，并划定临时疏导区。"
    ),
    "咨询退役军人优待证办理": (
        "您好！根据有关规定，退役军人可持身份证和退役证件到户籍所在地退役军人服务站申领优待证，现"
        "场采集照片。"
    ),
    "关于增设社区卫生服务站的建议": (
        "您好！卫健局已将该社区纳入明年卫生服务站建设计划，选址在社区北门，预计年底前建成。"
    ),
    "反映自来水水质发黄": (
        "您好！水务公司检测发现该小区二次供水水箱锈蚀，已于本月10日完成清洗消毒，水质检测合格。"
    ),
    "咨询高龄津贴申领办法": (
        "您好！年满80周岁的本市户籍老人可申领高龄津贴，每月100元，由社区代为申报，按月发放。"
    ),
    "关于农村道路硬化的请求": (
        "您好！交通局已将该村道列入今年农村公路建设项目，全长2.3公里，计划9月开工、年内完工。"
    ),
    "反映物业公司乱收费": (
        "您好！经调查，该物业公司超标准收取停车费属实，已责令其退还多收费用，并处以警告。"
    ),
    "咨询残疾人两项补贴申请": (
        "您好！持第二代残疾人证的困难残疾人可申请生活补贴，重度残疾人可申请护理补贴，由乡镇受理。"
    ),
    "关于公园增设健身器材的建议": (
        "您好！园林局已于10月在该公园东侧安装健身器材12件，并铺设了塑胶地面，现已投入使用。"
    ),
    "反映商铺油烟污染": (
        "您好！生态环境局执法人员现场检查，该商铺未安装油烟净化设施，已责令限期整改并复查合格。"
    ),
    "咨询不动产登记所需材料": (
        "您好！办理二手房转移登记需提供不动产权证、身份证明、买卖合同和完税凭证，5个工作日办结。"
    ),
    "关于冬季道路积雪清理的建议": (
        "您好！我局已制定冬季除雪预案，主干道雪停后6小时内清理完毕，背街小巷24小时内清理完毕。"
    ),
    "反映拖欠农民工工资问题": (
        "您好！劳动监察大队已立案调查，督促该公司于本月15日前足额支付拖欠的工资共计8.6万元。"
    ),
    "咨询住房公积金提取条件": (
        "您好！购房、租房、退休等情形可提取住房公积金，租房提取每年不超过1.2万元，可在手机上办理。"
    ),
}

TRANSFER = "您好！您反映的问题已转交{unit}办理，感谢您对我们工作的关心和支持。"
NO_REPLY = "您好！来信收悉。我们高度重视您反映的问题，将进一步加强相关工作，感谢您的关注和支持！"
PASTED = (
    "您好！您反映的问题我局已认真研究，将按照有关规定纳入年度工作计划统筹推进，具体安排以正式"
    "公布为准。"
)
# The class of each replied letter, oldest first, cycled (site id → codes).
PLAN: dict[str, str] = {
    "shifan": "S",
    "jiaqu": "SSST",
    "yiqu": "ST",
    "jishi": "PSP",
    "bingxian": "T",
    "dingxian": "S",  # its board shows no detail pages: no reply text is ever seen
    "wuxian": "NT",
}
PREVIOUS_PLAN: dict[str, str] = {
    "shifan": "ST",
    "jiaqu": "T",
    "yiqu": "TN",
    "jishi": "P",
    "bingxian": "TN",
    "dingxian": "S",
    "wuxian": "N",
}


def plan_for(site_id: str, as_of: date) -> str:
    return (PLAN if as_of >= AS_OF else PREVIOUS_PLAN)[site_id]


def reply_for(code: str, subject: str, unit: str) -> tuple[str, str]:
    """The reply text of a letter planted as ``code`` and its class."""
    if code == "S":
        return ANSWERS[subject], SUBSTANTIVE
    if code == "T":
        return TRANSFER.format(unit=unit), TRANSFER_ONLY
    if code == "P":
        return PASTED, TEMPLATE
    return NO_REPLY, NO_ANSWER
