"""Page families written from real pages: the markup (tags, classes, nesting, date forms) of a
real government page of the labelled corpus (tests/fixtures/real/corpus/), with our own demo
text. The dialects (:mod:`evalcrawler.demo.dialects`) follow one tidy way per CMS; these
families are the shapes real sites take that a reader must also get right (docs/demo.md,
"Families written from real pages", names the real page of each).

Column families (``ColSpec.family``), each a column page's list:

* ``rows`` – one ``<tr>`` per item in a table without a class: a bullet cell, the title cell
  and the date alone in its own cell (125.42.176.131 ``column-xxgk-zxgk1.html``);
* ``tables`` – one small nested ``<table>`` per item, the date in its own right-aligned cell,
  a bullet image without alt and an empty separator row ``td.dhbgwenzi``
  (www.xinxiang.gov.cn ``home-2017.html``);
* ``yy`` / ``yy_bracket`` – the ``div.list-pane`` > ``ul.list01`` rows of www.gov.cn
  (``column-jm-fg-2014.html``: ``<li><a>…</a><span>date</span></li>``) with the date written
  with a two-digit year, ``26-11-18`` or ``[26-11-18]``.

Pages linked from the navigation (``SiteSpec.extras``), none of them a column or blank:

* ``guide`` – a long 办事指南 (numbered sections in ``div.pages_content`` >
  ``table#printContent`` as on www.gov.cn ``guide-licensing-gold-mining-2012.html``) with a
  downloads table;
* ``form`` – a query form and its instructions, no list (wxcx.ndrc.gov.cn
  ``form-corpinfo-query.html``);
* ``boxes`` – a page of text with a carousel, an album and a news box that scripts fill,
  empty in the HTML, and the empty ``ul.newsList-timeShowy`` box of www.yichun.gov.cn
  ``home-2023.html`` with the script tag that fills it.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from evalcrawler.demo.markup import PHONES, Doc, esc, fmt_date
from evalcrawler.demo.model import Response

if TYPE_CHECKING:
    from evalcrawler.demo.sites import SiteBuilder

Rows = list[tuple[str, str, date]]

COLUMN_FAMILIES = ("rows", "tables", "yy", "yy_bracket")
EXTRA_PAGES = ("guide", "form", "boxes")


def yy(day: date) -> str:
    """A date with a two-digit year: 26-11-18."""
    return f"{day.year % 100:02d}-{day.month:02d}-{day.day:02d}"


def render_list(doc: Doc, family: str, rows: Rows) -> str:
    """A column page's list (rows are (title, path, date)) in the markup of ``family``."""
    if family == "rows":
        return _rows(doc, rows)
    if family == "tables":
        return _tables(doc, rows)
    if family in ("yy", "yy_bracket"):
        return _list01(doc, rows, bracket=family == "yy_bracket")
    raise ValueError(family)


def _rows(doc: Doc, rows: Rows) -> str:
    out = []
    for title, path, day in rows:
        raw = fmt_date(day, "iso")
        doc.item(title, path, day, raw, main=True)
        link = doc.a(
            path,
            title,
            attrs=(
                'style=" font-size:12px; line-height:27px; color:#333333;" '
                f'target="blank" title="{esc(title)}"'
            ),
        )
        out.append(
            "<tr>\n"
            '<td width="10" style="color:#FF0000; padding-left:5px;"><strong>·</strong></td>\n'
            f'<td width="79%" height="24" align="left"> {link}</td>\n'
            '<td width="16%" align="left" style=" font-size:12px; color:#000000; '
            f'line-height:27px;">{raw}</td>\n'
            "</tr>"
        )
    return (
        '<table width="98%" border="0" align="center" cellpadding="0" cellspacing="0">'
        "<tbody>\n" + "\n".join(out) + "\n</tbody></table>"
    )


def _tables(doc: Doc, rows: Rows) -> str:
    out = []
    for title, path, day in rows:
        raw = fmt_date(day, "iso")
        doc.item(title, path, day, raw, main=True)
        bullet = doc.img("/images/img_43.png", None)
        link = doc.a(
            path,
            title,
            attrs='style=" font-size:14px; color:#000000; line-height:25px;" target="_blank"',
            inner=f"\n<!--\t\t-->\n\t\t{esc(title)}\n<!--\t\t-->\n\t\t",
        )
        out.append(
            '<table border="0" cellpadding="0" cellspacing="0" width="98%" height="20">\n'
            '<tbody><tr>\n<td align="left" width="100%">\n'
            '<table width="100%" cellpadding="0" cellspacing="0" border="0">\n'
            '<tbody><tr height="25">\n'
            f'<td width="10" style=" padding-left:5px;">{bullet}</td>\n'
            f'<td align="left">\n\t\t{link}\n\t\t</td>\n'
            f'<td width="40" align="right">\n            {raw}\n        </td>\n'
            '</tr>\n<tr><td class="dhbgwenzi" colspan="3"></td></tr>\n'
            "</tbody></table>\n</td>\n</tr>\n</tbody></table>"
        )
    return '<div style="padding-top:5px">' + "\n".join(out) + "</div>"


def _list01(doc: Doc, rows: Rows, *, bracket: bool) -> str:
    items = []
    for title, path, day in rows:
        raw = f"[{yy(day)}]" if bracket else yy(day)
        doc.item(title, path, day, raw, main=True)
        items.append(f"<li>{doc.a(path, title, attrs='target=_blank')}<span>{raw}</span></li>")
    return (
        '<div class="list-pane inner-page"><div class="pannel-inner pubListBox01">'
        '<ul class="list01">' + "".join(items) + "</ul></div></div>"
    )


# --------------------------------------------------------------------- pages from the nav

GUIDE_NAME = "商品房预售许可"
FORM_NAME = "期房签约查询"


def extra_path(site: SiteBuilder, kind: str) -> str:
    hub, name = {"guide": ("zwfw", "ysxk"), "form": ("zwfw", "qfcx"), "boxes": ("zjgk", "tsxx")}[
        kind
    ]
    return site.sub(hub, name)


def extra_name(site: SiteBuilder, kind: str) -> str:
    return {"guide": GUIDE_NAME, "form": FORM_NAME, "boxes": f"图说{site.s}"}[kind]


def nav_children(site: SiteBuilder, hub: str) -> list[tuple[str, str]]:
    """(text, path) of the extra pages the navigation lists under ``hub``."""
    return [
        (extra_name(site, kind), extra_path(site, kind))
        for kind in site.spec.extras
        if extra_path(site, kind).startswith(f"/{hub}")
    ]


def extra_pages(site: SiteBuilder) -> None:
    for kind in site.spec.extras:
        {"guide": guide_page, "form": form_page, "boxes": boxes_page}[kind](site)


def _crumbs(site: SiteBuilder, kind: str) -> list[tuple[str, str | None]]:
    if kind == "boxes":
        hub: tuple[str, str | None] = (f"走进{site.s}", site.hub("zjgk"))
    else:
        hub = ("在线办事", site.hub("zwfw"))
    return [hub, (extra_name(site, kind), None)]


# The guide's sections: (index of the rubric's key element the heading names, or None for a
# section that names none; heading; paragraphs). A site shows the elements its spec's
# ``guide_elements`` allows, so the guide score of its other guides stays what is planted.
def _guide_sections(site: SiteBuilder) -> list[tuple[int | None, str, list[str]]]:
    s = site.s
    return [
        (0, "事项名称", [f"{GUIDE_NAME}。", "事项类型：行政许可。"]),
        (
            1,
            "设定依据",
            [
                "（一）《中华人民共和国城市房地产管理法》第四十五条：商品房预售应当符合下列"
                "条件，并向县级以上人民政府房产管理部门办理预售登记，取得商品房预售许可证明。",
                "（二）《城市商品房预售管理办法》第六条：商品房预售实行许可制度。开发企业进行"
                "商品房预售，应当向房地产管理部门申请预售许可，取得《商品房预售许可证》。",
                "（三）《城市商品房预售管理办法》第七条：开发企业申请预售许可，应当提交有关"
                "证件（复印件）及资料。",
            ],
        ),
        (
            2,
            "申请条件",
            [
                "（一）已交付全部土地使用权出让金，取得土地使用权证书；",
                "（二）持有建设工程规划许可证和施工许可证；",
                "（三）按提供预售的商品房计算，投入开发建设的资金达到工程建设总投资的百分之"
                "二十五以上，并已经确定施工进度和竣工交付日期；",
                "（四）已在监管银行开设商品房预售资金监管账户，并与监管银行签订监管协议。",
            ],
        ),
        (
            3,
            "申报材料",
            [
                "（一）商品房预售许可申请表（原件一份，加盖开发企业公章）；",
                "（二）开发企业的营业执照和房地产开发资质证书（复印件各一份，核验原件）；",
                "（三）土地使用权证书或者不动产权证书（复印件一份，核验原件）；",
                "（四）建设工程规划许可证和施工许可证（复印件各一份，核验原件）；",
                "（五）工程施工合同及关于施工进度的说明，监理单位出具的形象进度证明；",
                "（六）商品房预售方案：应当说明商品房的位置、面积、竣工交付日期等内容，"
                "并附预售商品房分层平面图；",
                "（七）商品房预售资金监管协议及监管账户开户证明；",
                "（八）授权委托书及受托人身份证明（委托他人代办的提供）。",
                "以上复印件须注明“与原件一致”并加盖开发企业公章，材料一律使用A4纸张。",
            ],
        ),
        (4, "办理地点", [f"{s}政务服务中心二楼住房和城乡建设综合窗口。"]),
        (5, "办理机构", [f"{s}住房和城乡建设局（房地产市场管理科）。"]),
        (6, "收费标准", ["不收费。"]),
        (7, "办理时间", ["法定工作日上午九时至十二时，下午一时至五时（节假日除外）。"]),
        (8, "联系电话", [f"{PHONES[site.spec.id]}（住房和城乡建设综合窗口）。"]),
        (
            9,
            "办理流程",
            [
                "（一）申请：开发企业通过政务服务网在线申报，或到综合窗口提交纸质材料；",
                "（二）受理：窗口工作人员当场核对材料，齐全且符合法定形式的予以受理，"
                "不齐全的一次性告知需要补正的全部内容；",
                "（三）审查：审批科室对材料进行审查，并组织对项目现场进行勘验；",
                "（四）决定：符合条件的作出准予许可的决定，不符合条件的作出不予许可的决定"
                "并说明理由；",
                "（五）送达：准予许可的，核发《商品房预售许可证》并在政府网站公示。",
            ],
        ),
        (
            None,
            "审查标准",
            [
                "（一）土地使用权：核查土地出让合同、出让金缴纳凭证与权属证书记载的宗地位置、"
                "面积和用途是否一致，土地是否存在查封、抵押未解除等限制转让的情形；",
                "（二）规划和施工：核查建设工程规划许可证、施工许可证载明的建设规模与预售方案"
                "是否一致，预售部位是否在许可范围之内；",
                "（三）工程进度：多层建筑主体结构施工至总层数的二分之一以上，高层建筑主体结构"
                "施工至总层数的三分之一以上，并由监理单位出具形象进度证明；",
                "（四）资金监管：核查监管协议是否载明监管账户、监管额度和拨付节点，监管额度"
                "是否足以保证项目竣工交付；",
                "（五）预售方案：核查方案是否载明项目基本情况、建设进度安排、预售房屋套数和"
                "面积、公共部位和配套设施的权属、预售价格及变动幅度、交付日期等内容；",
                "（六）现场勘验：审查人员到项目现场核对工程形象进度、售楼场所公示内容和样板间"
                "设置情况，勘验结果记入审查意见。",
            ],
        ),
        (
            None,
            "办理时限",
            [
                "法定时限：自受理之日起十个工作日内作出决定。",
                "承诺时限：自受理之日起五个工作日内作出决定。现场勘验所需时间不计算在内。",
            ],
        ),
        (
            None,
            "审批结果",
            [
                "准予许可的，核发《商品房预售许可证》。许可证载明开发企业名称、项目名称、"
                "预售部位、预售面积和监管账户，开发企业应当在售楼场所醒目位置公示。",
            ],
        ),
        (
            None,
            "监督投诉",
            [
                f"对审批过程有意见或建议的，可向{s}人民政府督查室反映，也可拨打政务服务便民"
                "热线12345。",
            ],
        ),
        (
            None,
            "申请人的权利和义务",
            [
                "（一）申请人依法享有陈述权、申辩权；对许可决定不服的，有权依法申请行政复议"
                "或者提起行政诉讼；",
                "（二）申请人有权查询申请的审查进度和结果，有权要求审批部门对申请材料中涉及的"
                "商业秘密予以保密；",
                "（三）申请人应当如实提交有关材料和反映真实情况，并对申请材料实质内容的真实性"
                "负责；",
                "（四）取得许可后，开发企业应当按照预售方案销售，不得擅自改变房屋用途，不得"
                "向购房人收取预售方案以外的费用，并接受房地产管理部门的监督检查。",
            ],
        ),
        (
            None,
            "注意事项",
            [
                "（一）未取得《商品房预售许可证》的，开发企业不得进行商品房预售，不得以认购、"
                "预订、排号、发放会员卡等方式向购房人收取或者变相收取定金、预订款等费用；",
                "（二）开发企业应当在取得许可之日起十日内，将全部准售房源及每套房屋的价格一次性"
                "公开，明码标价，对外销售；",
                "（三）预售商品房的面积以房产测绘机构出具的预测绘报告为准，房屋交付后以实测"
                "面积为准，面积误差按照合同约定处理；",
                "（四）开发企业应当与购房人签订商品房买卖合同，并在签约后三十日内办理合同网签"
                "备案，购房人可以通过本网站的期房签约查询核对备案信息；",
                "（五）项目分期申请预售许可的，每一期均应当单独满足申请条件，已取得许可的部分"
                "不得与未取得许可的部分混合销售；",
                "（六）申请材料中的证照已经通过政务服务平台共享获取的，申请人无需重复提交纸质"
                "复印件。",
            ],
        ),
        (
            None,
            "许可证的变更与注销",
            [
                "开发企业名称、项目名称发生变化的，应当持有关证明文件申请变更许可证记载事项；"
                "项目预售完毕或者因故终止预售的，应当申请注销许可证。许可证遗失的，应当在"
                "本地报刊上刊登遗失声明后申请补发。",
                "以欺骗、贿赂等不正当手段取得许可的，由审批部门依法撤销许可，三年内不再受理"
                "该开发企业就同一项目提出的申请。",
            ],
        ),
        (
            None,
            "常见问题",
            [
                "问：预售资金能否直接转入开发企业的其他账户？",
                "答：不能。购房人缴纳的定金、首付款和按揭贷款应当全部存入预售资金监管账户，"
                "监管资金按照工程进度分节点拨付，优先用于项目建设。",
                "问：取得预售许可后能否变更预售方案？",
                "答：预售方案中的户型、面积发生变化的，开发企业应当重新提出申请，经审查同意"
                "后方可继续预售。",
                "问：购房人如何核实项目是否取得预售许可？",
                "答：可以在售楼场所查看公示的许可证原件，也可以在本网站政务公开栏目查询已核发"
                "的许可证信息，核对开发企业名称、预售部位和监管账户是否一致。",
                "问：监管账户中的资金在什么情况下可以提前拨付？",
                "答：项目主体结构封顶、竣工验收等节点经监理单位确认后，开发企业可以申请拨付"
                "相应比例的监管资金，剩余资金在房屋交付后拨付。",
            ],
        ),
    ]


NUMERALS = "一二三四五六七八九十"


def _numeral(n: int) -> str:
    if n <= 10:
        return NUMERALS[n - 1]
    return "十" + NUMERALS[n - 11]


def guide_page(site: SiteBuilder) -> None:
    """A long 办事指南 in the www.gov.cn 2014 guide template, and its downloads table."""
    path = extra_path(site, "guide")
    doc = Doc(site, path, "other", site.page_title(f"{GUIDE_NAME}办事指南"))
    indent = "\u00a0" * 4
    paras: list[str] = []
    n = 0
    for element, heading, lines in _guide_sections(site):
        if element is not None and element >= site.spec.guide_elements:
            continue
        n += 1
        paras.append(f"<p>{indent}{_numeral(n)}、{heading}</p>")
        paras.extend(f"<p>{indent}{esc(line)}</p>" for line in lines)
    downloads = []
    for k, title in enumerate(("商品房预售许可申请表", "商品房预售方案（范本）", "授权委托书"), 1):
        file_path = f"/files/ysxk_{k:02d}.doc"
        site.add_file(file_path, "doc", title)
        downloads.append(
            f'<tr><td align="center">{k}</td><td>{esc(title)}</td>'
            f'<td align="center">{doc.a(file_path, "下载")}</td></tr>'
        )
    body = (
        f'<div class="pages-title">{GUIDE_NAME}办事指南</div>'
        '<div class="pages_content"><table width="100%" border="0" cellspacing="0" '
        'cellpadding="0" id="printContent"><tr><td align="left" valign="top">'
        + "".join(paras)
        + "</td></tr></table>"
        f"<p>{indent}{_numeral(n + 1)}、表格下载</p>"
        '<table width="100%" border="1" cellspacing="0" cellpadding="4">'
        "<tr><th>序号</th><th>表格名称</th><th>下载</th></tr>" + "".join(downloads) + "</table>"
        '<div class="editor">责任编辑：综合窗口</div></div>'
    )
    site.finish(doc, body, _crumbs(site, "guide"))


def form_page(site: SiteBuilder) -> None:
    """A query form (期房签约查询) laid out as the 查询系统 of wxcx.ndrc.gov.cn: no list."""
    path = extra_path(site, "form")
    doc = Doc(site, path, "other", site.page_title(FORM_NAME))
    action = path.rsplit("/", 1)[0] + "/qfcx_search.jsp"
    fields = "".join(
        '<div class="searchBox">'
        f'<div class="searchBoxTitle">{label}：</div>'
        '<div class="sear_ri_bott"><div class="ser_bu_inse">'
        f'<input type="text" class="inputText" name="{name}" id="{name}">'
        "</div></div></div>"
        for label, name in (("项目名称", "ProjectName"), ("合同备案号", "ContractNo"))
    )
    body = (
        '<div class="search">'
        f'<div class="sear_le">{FORM_NAME}</div>'
        '<div class="sear_ri"><div class="sear_ri_top"><ul><li class="active">签约信息</li>'
        "</ul></div>"
        f'<form name="form1" id="form1" action="{action}" method="post">'
        f'<div class="searchBoxBox">{fields}'
        '<div class="searchBox"><input type="button" class="inputBut" value="查询" '
        'onclick="javascript:GotoSearch()"></div></div></form></div></div>'
        '<div class="contText"><div class="compInfor"><h5>查询说明</h5>'
        '<div class="detailInfor"><ul>'
        "<li><span>查询范围：</span>本市行政区域内已取得预售许可的商品房项目的网签备案信息。</li>"
        "<li><span>查询方式：</span>输入项目名称或合同备案号，点击“查询”。</li>"
        "<li><span>查询结果：</span>显示合同备案状态、预售许可证号和房屋坐落。</li>"
        "</ul>"
        '<div class="yw_fw"><span>温馨提示：</span>查询结果仅供参考，以住房和城乡建设局'
        "登记簿记载为准。如对查询结果有疑问，请携带购房合同到政务服务中心综合窗口核实。</div>"
        "</div></div></div>"
        '<script type="text/javascript">function GotoSearch(){document.form1.submit();}</script>'
    )
    site.finish(doc, body, _crumbs(site, "form"))


def boxes_page(site: SiteBuilder) -> None:
    """A page of text whose carousel, album and news boxes scripts fill (empty in the HTML),
    with the 往期回顾 box of www.yichun.gov.cn and the script tag that fills its list."""
    path = extra_path(site, "boxes")
    name = extra_name(site, "boxes")
    doc = Doc(site, path, "other", site.page_title(name))
    zwdt = site.columns["zwdt"]
    for script in ("lbt.js", "album.js", "newsbox.js", "wqhg_data.js"):
        site.responses[f"/js/{script}"] = Response(
            200, [("Content-Type", "application/javascript")], b"/* filled in the browser */\n"
        )
    s = esc(site.s)
    body = (
        f"<h1>{esc(name)}</h1>"
        '<div class="lbt"></div>'
        f"<p>{s}山川秀美，四季分明，是一座历史文化底蕴深厚的城市。近年来，{s}坚持生态优先、"
        "绿色发展，城乡面貌焕然一新。</p>"
        f"<p>这里收录{s}的城市风光、重大活动和民生工程图片，记录城乡建设发展的点点滴滴。"
        "欢迎广大市民通过政务新媒体投稿，分享身边的美好瞬间。</p>"
        '<div class="album"></div>'
        '<div class="newsbox"></div>'
        '<div class="home-wqhg tab-brief f20 line sign ls">'
        '<div class="hd clearfix"><ul><li class="on">'
        + doc.a(zwdt.root, zwdt.name)
        + "</li></ul></div>"
        '<div class="bd"><div class="item">'
        '<ul class="newsList-timeShowy" id="zxft_wqhg"></ul>'
        '<div class="m-common-more">' + doc.a(zwdt.root, "更多>>") + "</div>"
        "</div></div></div>"
        '<script type="text/javascript" src="/js/lbt.js"></script>'
        '<script type="text/javascript" src="/js/album.js"></script>'
        '<script type="text/javascript" src="/js/newsbox.js"></script>'
        '<script type="text/javascript" src="/js/wqhg_data.js"></script>'
    )
    site.finish(doc, body, _crumbs(site, "boxes"))
