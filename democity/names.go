package democity

import "strconv"

// district is a county-level division the generator can place.
type district struct {
	code    string // 6 digits, 4201xx
	name    string
	streets []string // real street names, used first; empty for synthetic districts
}

// wuhanDistricts are Wuhan's real county-level divisions (GB/T 2260), in the
// order the generator uses them: the demo's three central districts first.
// Only the three central ones carry real street names; the others get
// generated street names when a large city needs them.
var wuhanDistricts = []district{
	{"420103", "江汉区", []string{"民族", "花楼", "民权", "满春", "前进", "民意", "新华", "万松", "唐家墩", "北湖", "常青", "汉兴"}},
	{"420102", "江岸区", []string{"大智", "一元", "车站", "四唯", "永清", "西马", "球场", "劳动", "二七", "新村", "丹水池", "台北", "花桥", "谌家矶", "后湖", "塔子湖"}},
	{"420106", "武昌区", []string{"积玉桥", "杨园", "中华路", "徐家棚", "粮道街", "黄鹤楼", "紫阳", "白沙洲", "首义路", "南湖", "水果湖", "中南路", "珞珈山"}},
	{"420104", "硚口区", nil},
	{"420105", "汉阳区", nil},
	{"420107", "青山区", nil},
	{"420111", "洪山区", nil},
	{"420112", "东西湖区", nil},
	{"420113", "汉南区", nil},
	{"420114", "蔡甸区", nil},
	{"420115", "江夏区", nil},
	{"420116", "黄陂区", nil},
	{"420117", "新洲区", nil},
}

// maxDistricts is how many districts fit under one city: codes 4201xx with
// xx from 01 to 99.
const maxDistricts = 99

// districtsFor returns n districts: the real ones in wuhanDistricts order, then
// synthetic ones on the county codes Wuhan does not use, with generated names.
func districtsFor(n int) []district {
	out := make([]district, 0, n)
	used := map[string]bool{}
	for _, d := range wuhanDistricts {
		if len(out) == n {
			return out
		}
		out = append(out, d)
		used[d.code] = true
	}
	for xx := 1; xx <= maxDistricts && len(out) < n; xx++ {
		code := "4201" + pad(xx, 2)
		if used[code] {
			continue
		}
		k := len(out) - len(wuhanDistricts)
		name := syntheticPrefixes[k%len(syntheticPrefixes)] + syntheticSuffixes[k/len(syntheticPrefixes)%len(syntheticSuffixes)] + "区"
		out = append(out, district{code: code, name: name})
	}
	return out
}

// Synthetic district names are prefix + suffix + 区, e.g. 临江新区.
var (
	syntheticPrefixes = []string{"临江", "滨湖", "龙泉", "梅林", "金湾", "银河", "松涛", "竹溪", "桂园", "枫林", "柳岸", "荷塘", "云峰", "凤凰", "青龙", "白鹭", "玉泉", "石门", "望江", "长堤"}
	syntheticSuffixes = []string{"新", "东", "西", "南", "北"}
)

// streetName returns the name of the k-th street (0-based) of district d:
// its real street names first, then generated ones, unique within d.
func streetName(d district, k int) string {
	if k < len(d.streets) {
		return d.streets[k] + "街道"
	}
	k -= len(d.streets) // streetParts shares no stem with the real lists
	return streetParts[k%len(streetParts)] + streetSuffixes[k/len(streetParts)%len(streetSuffixes)]
}

var (
	streetParts    = []string{"长江", "汉江", "东湖", "沙湖", "桃源", "青年", "解放", "建设", "和平", "友谊", "胜利", "光明", "幸福", "育才", "园林", "新港", "金桥", "丹桂", "梅岭", "松柏", "杏林", "晴川", "龟山", "蛇山", "琴台", "江滩", "古田", "宝丰", "红旗", "工农", "铁机", "徐东", "白云", "春晖", "南岸", "北岸", "中山", "兴业", "仁和", "永丰"}
	streetSuffixes = []string{"街道", "路街道", "新区街道"}
)

// communityParts are plausible community (社区) name stems, like those of the
// real communities of central Wuhan.
var communityParts = []string{
	"三阳", "黄兴", "胜利", "友谊", "惠济", "新华", "球场", "劳动", "中山", "二曜",
	"京汉", "天声", "合作", "解放", "德润", "长春", "吉庆", "花楼", "民意", "统一",
	"前进", "江滩", "黎黄陂", "鄱阳", "洞庭", "蔡锷", "上海", "南京", "汉润", "大智",
	"一元", "车站", "四唯", "永清", "西马", "鄂城墩", "百步亭", "后湖", "塔子湖", "丹水池",
	"积玉桥", "杨园", "彭刘杨", "首义", "紫阳", "粮道", "黄鹤", "蛇山", "昙华林", "得胜桥",
	"候补", "大成", "复兴", "戈甲营", "水陆", "千家街", "新河", "徐家棚", "和平", "建设",
	"育才", "光明", "幸福", "红旗", "春晖", "桃源", "梅苑", "竹园", "松林", "桂花",
	"荷花", "兰亭", "杏林", "丽园", "金桥", "银湖", "安居", "宁康", "福星", "康宁",
}

// communityName returns the name of a community from its index in the whole
// city (consecutive indices get different names, so communities of one street
// never share one; far-apart ones may, as real ones do in different districts).
func communityName(globalIndex int) string {
	n := len(communityParts)
	stem := communityParts[globalIndex%n]
	switch round := globalIndex / n % 4; round {
	case 0:
		return stem + "社区"
	case 1:
		return stem + "新村社区"
	case 2:
		return stem + "花园社区"
	default:
		return stem + "里社区"
	}
}

// Surnames in rough order of frequency; personName favours the first ones.
var surnames = []rune("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤")

// givenChars are common characters of given names.
var givenChars = []rune("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉萍红鹏辉建文斌宇浩凯婷雪琳晨欣怡佳子梓涵轩博俊嘉雨思晓海林云峰波丹倩颖慧琴兰燕志国立新春金荣家德")

// personName writes a fake but realistic Chinese name to t: a surname and
// one or (more often) two given-name characters.
func personName(r *stream, t *text) string {
	start := t.mark()
	u := r.float()
	t.char(surnames[int(u*u*float64(len(surnames)))]) // u² favours frequent surnames
	t.char(givenChars[r.intn(len(givenChars))])
	if r.intn(10) < 7 {
		t.char(givenChars[r.intn(len(givenChars))])
	}
	return t.since(start)
}

// mobilePrefixes are the first three digits of Chinese mobile numbers.
var mobilePrefixes = []string{
	"130", "131", "132", "133", "134", "135", "136", "137", "138", "139",
	"150", "151", "152", "153", "155", "156", "157", "158", "159",
	"166", "173", "175", "176", "177", "178",
	"180", "181", "182", "183", "184", "185", "186", "187", "188", "189",
	"191", "198", "199",
}

// phoneNumbers hands out 11-digit mobile numbers that are unique within a
// city: the last eight digits are a keyed permutation of the person's index
// (so no two people share them), the prefix is drawn at random.
type phoneNumbers struct{ key1, key2 uint64 }

func newPhoneNumbers(seed int64) phoneNumbers {
	r := newStream(seed, kindPhone, 0)
	return phoneNumbers{key1: r.next(), key2: r.next()}
}

// phone writes the number of the person with this index (< 10⁸) to t.
func (p phoneNumbers) phone(index int, r *stream, t *text) string {
	// Cycle-walk a bijection of [0, 2²⁷) until the value falls below 10⁸:
	// the result is a bijection of [0, 10⁸), so distinct indices get
	// distinct suffixes.
	const mask = 1<<27 - 1
	x := uint64(index)
	for {
		x = (x ^ p.key1) & mask
		x = x * 0x2545F49 & mask // odd multiplier: invertible modulo 2²⁷
		x ^= x >> 14
		x = x * 0x1B873593 & mask
		x ^= x >> 13
		x = (x ^ p.key2) & mask
		if x < 1e8 {
			break
		}
	}
	start := t.mark()
	t.str(mobilePrefixes[r.intn(len(mobilePrefixes))]).num(int(x), 8)
	return t.since(start)
}

// pad formats n with at least width digits, zero-padded.
func pad(n, width int) string {
	s := strconv.Itoa(n)
	for len(s) < width {
		s = "0" + s
	}
	return s
}
