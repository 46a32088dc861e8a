package safety

// The lexicon. Each pattern is written over normalised text (see
// Normalize and compile): lower case, no apostrophes, contractions and
// slang written out ("i am", "do not", "want to", "kill myself"). Review
// changes with the corpus test: every risk line of testdata/corpus.txt
// must still alert, and the idioms' false-alarm rate must stay at or below
// 5 %.

type pattern struct {
	family  Family
	pattern string
}

// pronoun-free on purpose: "want to die" alerts whoever wrote it and
// whatever came before it ("I don't want to die but…", "my friend wants to
// die"): a facilitator judges, the lexicon does not.
var builtin = []pattern{
	// Wanting to die, to be dead, not to wake up, not to be here or exist.
	{FamilyDie, `(want|wants|wanted|wanting|wish|wished|wishing|need|needed|would like|like|ready|going|deserve|deserves|hope|hoping|pray|praying|tempted|trying) to {f}(die|be dead|stop living|stop existing|not exist|not be alive|not be here|not be around|not wake up|never wake up|cease to exist|fade away)`},
	{FamilyDie, `(i|me) {f}(die|dying)( tonight| today| now| soon)? (please|pls)`},
	{FamilyDie, `(wish|wished|wishing|hope|hoping|pray|praying|prayed) (i|that i|i could|i would|to) {f}(die|died|be dead|was dead|were dead|could die|would die|had died|never been born|had never been born|was never born|were never born|was not born|was not here|were not here|was not alive|were not alive|was not around|were not around|did not exist|would not wake up|will not wake up|do not wake up|did not wake up|never wake up|not wake up|could disappear|could just disappear|disappear|was gone|were gone|could sleep forever|could go to sleep forever)`},
	{FamilyDie, `(hope|hoping|wish|wishing|pray|praying) {gap}(get|gets|got|would get|will get) (hit|run over|killed)`},
	{FamilyDie, `(hope|hoping|wish|wishing|pray|praying|want|wanting) (something|someone|somebody|a car|a bus|a truck|god|cancer|it) (would |will |to |could )?(kill|kills|killed|end|ends) (me|my life)`},
	{FamilyDie, `if i (never|did not|do not|would not|will not|did not ever) (woke|wake) up`},
	{FamilyDie, `why (am i|do i|should i|would i|must i) {f}(alive|still here|exist|living|live|keep living|go on|carry on|bother living)`},
	{FamilyDie, `why (am i|do i|should i) {f}(even |still )?(alive|exist|keep living|bother living|keep going)`},
	{FamilyDie, `(rather|prefer to|sooner) {f}(die|be dead|not exist|not be alive|not wake up|not be here)`},
	{FamilyDie, `(want|wish|need) (it all|everything|all of it|all of this|all this|my life|life|the pain|this pain) {f}(to|would|could) {f}(be over|end|stop)`},
	{FamilyDie, `(rather|better off|better) {f}(be )?dead`},
	{FamilyDie, `(do not|not|never|no longer|cannot) {f}(want|wanna|wish|like|care) to {f}(live|be alive|exist|be here|be around|wake up|keep living|go on living|stay alive|carry on living|survive)`},
	{FamilyDie, `(want|wish|wanting) (to )?(go to sleep|fall asleep|sleep|to sleep) and {f}(never|not) wake up`},
	{FamilyDie, `(sleep|go to sleep|fall asleep) (forever|and never wake up|and not wake up|for good)`},
	{FamilyDie, `(hate|hates|tired of|sick of|done with) (being alive|living|existing|my life|this life|life)`},
	{FamilyDie, `(i should|should i|maybe i should|i deserve to|i need to|i want to|i am going to|i am ready to) {f}(die|be dead|not exist|not be alive)`},
	{FamilyDie, `(drink|drinking|starve|starving) {f}myself to death`},
	{FamilyDie, `(do not|cannot|can not|never) see myself (being )?(alive|here|around|living) (at|by|in|next|past|until|much)`},
	{FamilyDie, `(do not|never|will not) wake up {f}(tomorrow |again |in the morning )?(that is|it is|it would be|would be|that would be) {f}(fine|ok|okay|for the best|better|a relief|a blessing)`},
	{FamilyDie, `(life|living|existing) is not worth (it|living)`},
	{FamilyDie, `(want|wanna|wish|need|like) to {f}(live|be alive|exist|be here|keep living|go on living|carry on|stay alive|keep going) (anymore|any longer|much longer)`},
	{FamilyDie, `(not|no longer) worth (living|being alive|keeping alive|saving)`},
	{FamilyDie, `(want|wants|wanted|wish) (to )?(vanish|disappear|be gone|not exist|stop existing)`},
	{FamilyDie, `death (would be|is|seems) (a relief|better|easier|peaceful|the answer|the only way|my only option)`},
	{FamilyDie, `(think|thinking|thought|thoughts|dream|dreaming) (about|of) (dying|death|being dead|my death|not existing|not being here)`},
	{FamilyDie, `(want|wish) (it|this|everything|my life|life|the pain) {f}(to|would|could) {f}(end|be over|stop) (forever|for good|permanently)`},

	// Suicide named directly; ending it, ending it all, ending my life.
	{FamilySuicide, `suicide|suicidal|suicidally`},
	{FamilySuicide, `(kill|killing|killed|kills|hang|hanging|hanged|shoot|shooting|drown|drowning|poison|poisoning|off|offing|end|ending) {f}myself`},
	{FamilySuicide, `(take|taking|took|end|ending|ended|finish|finishing) {f}my {f}(own )?life`},
	{FamilySuicide, `(end|ends|ending|ended|endin) {f}(it|it all|everything|things|this|this life|my suffering|the suffering|myself|my pain|the pain)`},
	{FamilySuicide, `(finish|finishing|finished) {f}(it all|everything|myself|my life|things for good|it for good|it tonight|it now)`},
	{FamilySuicide, `(want|wants|wish|need|needs|hope|going|ready|plan|planning) (someone|somebody|something|you|a car|a truck|god) to {f}(kill|end) (me|my life)`},
	{FamilySuicide, `(not|never) (going to|gonna|planning to|want to|trying to) {f}(kill myself|hurt myself|end it|end my life)`},
	{FamilySuicide, `(commit|committing|committed|attempt|attempted|attempting) {f}(suicide|it again)`},
	{FamilySuicide, `(better|easier|best) if i (killed myself|ended it|ended my life|was dead|were dead|died|was gone|were gone|did not wake up)`},

	// A plan, a method, a time, means gathered.
	{FamilyPlan, `(have|got|bought|buy|buying|saved|saving|save|stockpiled|stockpiling|collected|collecting|hoarding|hoarded|counted|counting|gathered|gathering|kept|keeping|hidden|hid|hiding|got hold of|ordered) (up )?(all )?(my |the |some |enough |a lot of |lots of |a bottle of |a box of |a pack of |a month of |a stash of |loads of )?({pills}|rope|a rope|a noose|the rope|a gun|the gun|my gun|a knife|the knife|razor|razors|a razor|blades|a blade|poison|bleach|charcoal|a ladder)`},
	{FamilyPlan, `(take|taking|took|swallow|swallowing|swallowed|down|downing|downed) (all|every one of|all of) (my |the |these |those |them )?({pills}|tablets|them)`},
	{FamilyPlan, `(take|taking|took|swallow|swallowing|swallowed|downed|downing) (a bunch of|a handful of|handfuls of|loads of|lots of|a lot of|too many|way too many|extra|double|triple|all the|a load of|a pile of) {pills}`},
	{FamilyPlan, `(i am|standing|sitting|stood|sat|up) on (the|a|this|that) (bridge|roof|rooftop|ledge|edge|tracks|railway|train tracks|cliff|balcony railing|parapet)`},
	{FamilyPlan, `(take|taking|took|swallow|swallowing|swallowed) (a whole|the whole|an entire|the entire|whole) (bottle|box|pack|packet|month|strip)`},
	{FamilyPlan, `(enough|all the|all my) {pills} to (die|kill|end|not wake up|do it|overdose)`},
	{FamilyPlan, `overdose|overdosing|overdosed|overdoses`},
	{FamilyPlan, `(jump|jumping|jumped|throw myself|throwing myself|step|stepping|walk|walking|lie|lying) (off|from|in front of|into|onto|under|out of) (a|the|that|this|my|our)? ?(bridge|roof|rooftop|building|cliff|balcony|train|tracks|car|bus|truck|lorry|tower|window|ledge|motorway|highway|road|river|sea|lake)`},
	{FamilyPlan, `(slit|slash|slashing|cut|cutting|slice|slicing) {f}my (wrist|wrists|throat|veins)`},
	{FamilyPlan, `noose|(tie|tied|tying) (a|the) rope`},
	{FamilyPlan, `(drive|driving|drove|crash|crashing|steer|steering) {f}(my car |the car )?(off|into) (a|the) (cliff|bridge|wall|tree|river|lake|sea|truck|lorry|oncoming)`},
	{FamilyPlan, `(going|gonna|plan|planning|planned|decided|ready|about|want|wanting) to {f}do it (tonight|today|tomorrow|this weekend|this week|soon|now|right now|later|after|when|before|on|at)`},
	{FamilyPlan, `(i know|i have decided|i decided|i figured out|i have figured out|figured out|worked out|i have worked out|decided) (how|when|where|the way) {gap}(do it|end it|die|kill myself|go)`},
	{FamilyPlan, `(a|my|the) (plan|way|method) (to|for) (die|dying|end it|ending it|kill myself|killing myself|do it|end my life|ending my life|not wake up)`},
	{FamilyPlan, `(tonight|today|tomorrow) (is|will be) the (night|day|end)`},
	{FamilyPlan, `(looked|looking|look|searched|searching|googled|googling|read|reading|research|researching) (up )?(how|ways) to (die|kill myself|end it|end my life|overdose|hang|not wake up)`},
	{FamilyPlan, `(how many|how much) {pills} (would|does|will|to|it takes|does it take|would it take) {gap}(kill|die|overdose|be enough|be fatal|be lethal|not wake up|never wake up)`},
	{FamilyPlan, `lethal dose|fatal dose`},
	{FamilyPlan, `(hang|hanging|hanged|shoot|shooting|drown|drowning|poison|poisoning|electrocute|gas|gassing) {f}myself`},
	{FamilyPlan, `(want|wanted|going|gonna|about|ready|tempted|thinking about|urge|urges|need) to {f}jump`},
	{FamilyPlan, `(have|got|gathered|collected|bought|ready) (everything|all|all i need|all the things) (i need |ready )?(to do it|to end it|for it|to die)`},
	{FamilyPlan, `(took|take|taking|swallowed|swallow|swallowing|downed|downing|popped|popping|necked|had) {f}{many} ({pills}|of (my|them|those|these|the) {pills}|of them)`},
	{FamilyPlan, `(end|ending|ended|do|doing|kill myself|killing myself|hang myself|hanging myself) {gap}(with|using) (a |the |my |some |those |these |all my |all the )?({pills}|gun|rope|knife|blade|razor|belt|cord|plastic bag|bleach|poison|cable|scarf|shotgun|pistol|car|the car)`},
	{FamilyPlan, `(end|ending|end it|ending it|do it|doing it|kill myself|killing myself) (it |it all |things |my life )?(at midnight|at [0-9]+|at noon|tonight|today|tomorrow|this weekend|this week|soon|right now|when i get home|after everyone|when everyone|once everyone|while everyone|before anyone|when nobody|when no one|before they|while they|after they|after work|after school|after the session|before the session)`},
	{FamilyPlan, `(i am|am|i will|will|i would|i shall) {f}(doing it|do it) {f}(tonight|today|tomorrow|this weekend|soon|now|right now|after|when|before|once|while|at midnight)`},
	{FamilyPlan, `(picked|chosen|chose|set|decided on|planned|fixed|know|figured out|worked out) (the|a|my) (day|date|time|night|place|spot|way|method|bridge) {gap}(do it|end it|die|kill myself|go through with it|end my life)`},
	{FamilyPlan, `(i have|have|i have got|i got|i made|made|i have made|i am making|making|there is) {f}(a|my) plan`},
	{FamilyPlan, `(have|got) it (all )?(planned|worked out|figured out)`},

	// Self-harm, current or recent, and urges to.
	{FamilySelfHarm, `self harm|self harming|self harmed|self injury|self injuring|selfharm`},
	{FamilySelfHarm, `(cut|cutting|cuts|burn|burning|burned|burnt|burns|hurt|hurting|hurts|harm|harming|harmed|scratch|scratching|scratched|hit|hitting|punch|punching|bruise|bruising|punish|punishing|punished|starve|starving|starved|bleed|bleeding|bite|biting|carve|carving|carved|scar|scarring|mutilate|mutilating) {f}(myself|my self)`},
	{FamilySelfHarm, `(scratch|scratching|scratched|pick|picking|picked) {f}(myself|my skin|my arms|my legs)? ?until (i|it) (bled|bleed|bleeds|bleeding)`},
	{FamilySelfHarm, `(cut|cutting|cuts|carve|carving|carved|slash|slashing|slit|slitting) {f}(my )?(arm|arms|wrist|wrists|leg|legs|thigh|thighs|skin|hip|hips|stomach|body)( again)?`},
	{FamilySelfHarm, `(urge|urges) to {f}(cut|burn|hurt|harm|self harm|bleed|punish)`},
	{FamilySelfHarm, `(want|wanting|wanted|tempted|itching|craving|need|needing|going|ready) to {f}(cut|burn|bleed)( {f}(again|so bad|so badly|tonight|right now|deeper|deep|myself|my self|my (arm|arms|wrist|wrists|leg|legs|thigh|thighs|skin|body|stomach))|$)`},
	{FamilySelfHarm, `(want|wanting|wanted|tempted|itching|craving|need|needing|going|ready) to {f}(hurt myself|harm myself|self harm|punish myself|hurt my self)`},
	{FamilySelfHarm, `(cut|cutting|carved|carving|slashed|slashing|sliced|slicing) {f}(again|on purpose|deliberately|deep|deeper|too deep|so deep|last night|tonight|this morning|today|yesterday)`},
	{FamilySelfHarm, `(cut|cutting|burn|burned|burnt|burning|hurt|hurting|hit|hitting|scratch|scratched|scratching|bruised|punched|punching|starved|starving|harm|harmed|stabbed) (myself|my self|my [a-z]+|my [a-z]+ [a-z]+)( [a-z]+){0,3} (on purpose|deliberately|intentionally)`},
	{FamilySelfHarm, `(relapsed|relapse|relapsing) {gap}(cut|cutting|sh|self harm|burned|burnt|burning|hurt myself|harmed myself)`},
	{FamilySelfHarm, `(covered in|full of|so many|more|new) (cuts|scars|burns|wounds|slashes)`},
	{FamilySelfHarm, `(keep|kept|keeps|been|started|start|starting|back to|went back to|still) cutting`},
	{FamilySelfHarm, `(cuts|cutting|burns|burning|scars) (are |is |keep |keeps )?(getting|got|get) (deeper|worse|bigger|more)`},
	{FamilySelfHarm, `(deserve|deserves) to {f}(bleed|suffer|hurt|be hurt|be punished|feel pain|be in pain)`},
	{FamilySelfHarm, `(relapsed|relapse|relapsing) (on|with|into|back into)? ?(self harm|cutting|sh|burning)`},
	{FamilySelfHarm, `(started|start|starting|went back to|back to|thinking about) (cutting|self harm|hurting myself|harming myself|burning myself) (again)?`},
	{FamilySelfHarm, `(fresh|new|deep) (cuts|cut|scars|wounds|burns)`},
	{FamilySelfHarm, `(been|keep|kept|keeps) (cutting|burning myself|hurting myself|harming myself|scratching myself) {f}(again|lately|a lot|every day|every night|more|more and more|since)`},
	{FamilySelfHarm, `(razor|blade|blades) (again|on my|to my|in my hand)`},

	// Hopelessness: no point, no reason to live, can't go on, can't take it.
	{FamilyHopeless, `(no|not any|not a|without any|without a|lost all|lost any|lost my|no more|nothing but|see no) {f}(point|reason|purpose|will|hope|meaning) (in |to |of |for )?(living|life|going on|being alive|existing|being here|carrying on|keep going|keeping going|live|go on|stay|staying|anything|trying|any of this|it all|my life|tomorrow|the future|at all)`},
	{FamilyHopeless, `(what is|whats) the point {f}{more}`},
	{FamilyHopeless, `(do not|cannot|can not|no longer) see (the|any) point (in|of|to) (anything|living|life|going on|trying|being here|being alive|it all|any of it|getting up|carrying on)`},
	{FamilyHopeless, `(feel|feeling|felt|i am) like (giving up|i am giving up|i want to give up|i should give up)( on (everything|life|myself|it all))?`},
	{FamilyHopeless, `(want|wish|need) (everything|it all|all of it|the world) to {f}(stop|end|go away)`},
	{FamilyHopeless, `(want|need|wish) (the pain|this pain|the hurt|my pain|the suffering|this feeling) to {f}(end|stop|go away)`},
	{FamilyHopeless, `(lost cause|beyond help|cannot be helped|past helping|cannot be fixed|broken beyond)`},
	{FamilyHopeless, `(i am|i feel|feel|feeling) {f}(done|finished|out of options|out of reasons|at the end of my rope|at the end of the road|at my limit)`},
	{FamilyHopeless, `(cannot|can not) {f}(do it|do this|do any of this|do life) {f}({more}|no more)`},
	{FamilyHopeless, `(cannot|can not|could not|will not|unable to|not able to|do not think i can|do not know how to) {f}(go on|keep going|carry on|take it|take this|take any more|cope|do this|keep doing this|hold on|live like this|survive this|be here) {f}({more}|forever|like this|any longer)`},
	{FamilyHopeless, `(cannot|can not|could not) (take|handle|bear|stand) it {f}({more}|no more)`},
	{FamilyHopeless, `(i am|i feel|feeling|feel) {f}(hopeless|worthless|empty inside|beyond help|beyond saving|past saving|broken beyond repair|trapped)`},
	{FamilyHopeless, `(no|there is no|lost all|lost|without|not any) hope`},
	{FamilyHopeless, `(nothing|it|this|things|life) (will|is going to|is ever going to|will ever) {f}(get better|change|improve|be okay|be ok)`},
	{FamilyHopeless, `(never|not) (going to|gonna) {f}(get better|be okay|be ok|be happy|feel better|change)`},
	{FamilyHopeless, `(nothing|no one|nobody) (to live for|left to live for|left for me|worth living for)`},
	{FamilyHopeless, `(give|giving|gave|given) up on (life|living|myself|everything|it all)`},
	{FamilyHopeless, `(life|my life|living|everything) (is|feels|seems) {f}(pointless|meaningless|hopeless|worthless|over|unbearable|not worth it)`},
	{FamilyHopeless, `(want|need) (it|this|everything|the pain|all of it|the hurt|the noise|the thoughts) to {f}(stop|end|be over|go away) (forever|for good|permanently|once and for all)`},
	{FamilyHopeless, `(done|finished|over it) with (life|living|everything|it all|existing|this world|this life|trying)`},
	{FamilyHopeless, `(tired|exhausted|sick|weary) of (living|being alive|life|existing|fighting|trying|everything|it all|being me|waking up)`},
	{FamilyHopeless, `(end of my rope|end of the road for me|run out of reasons|ran out of reasons|out of reasons to)`},
	{FamilyHopeless, `(cannot|can not|do not|cant|could not|never) {f}see (a|any|the) (way out|escape|future|way forward|point)`},
	{FamilyHopeless, `no (way out|escape|exit|future|way forward)`},
	{FamilyHopeless, `(cannot|can not|could not|will not be able to) {f}(go on|keep going|carry on|cope|do this|take it|take this|take any more|handle it|handle this|live like this|keep doing this|do life)`},
	{FamilyHopeless, `nothing {f}matters`},
	{FamilyHopeless, `(anything|nothing|no one|nobody|not much|noone|nothing much) (left )?(to live for|worth living for)`},
	{FamilyHopeless, `(what is|whats) the point (of|in) (me|my life|my existence|existing|being me|even trying|trying|anything|going on|living|life|carrying on|it all|any of this)`},
	{FamilyHopeless, `(trapped|stuck) (with no way out|and there is no way out|forever)`},

	// Being a burden; others better off without them; nobody would care.
	{FamilyBurden, `(i am|i feel like|feel like|i feel|i am just|just|such|only|always) {f}(a |such a |just a |only a |the )?burden`},
	{FamilyBurden, `burden (to|on|for) (everyone|everybody|my family|my friends|them|you|others|people|my kids|my parents|my partner|the world|anyone)`},
	{FamilyBurden, `(better|happier|easier|fine) (off )?without me`},
	{FamilyBurden, `(everyone|everybody|the world|my family|they|people|you all|you|nobody|no one|my kids|my parents|my friends) (would|will|could) {f}(be )?(better|happier|fine|relieved|better off) (off )?(without me|if i (was|were|am) (gone|dead|not around|not here)|if i (was|were) not (here|around)|if i died|if i was not alive|when i am gone|when i am dead)`},
	{FamilyBurden, `(nobody|no one|not one person|not a single person|not anyone|nobody at all) (would|will|could) {f}(miss me|care|notice|even notice|even care|cry|come to my funeral|mind)`},
	{FamilyBurden, `(nobody|no one|not one person|not anyone) {f}(cares|would care|gives a|will miss|would miss|misses|wants me|needs me|loves me)`},
	{FamilyBurden, `(i|they|everyone) (would not|will not|would never|will never) (be )?missed`},
	{FamilyBurden, `(do not|do not even) deserve to (live|be alive|be here|exist)`},
	{FamilyBurden, `(waste of|wasting) (space|oxygen|air|everyones time)`},

	// Saying goodbye: final messages, letters, giving things away, affairs.
	{FamilyGoodbye, `(this is|it is|here is|consider this|take this as) {f}(my )?(final |last )?(goodbye|farewell|message|note|letter)`},
	{FamilyGoodbye, `(goodbye|farewell|bye) (forever|for good|everyone|everybody|all|world|cruel world|to everyone|to you all|for the last time|my friends)`},
	{FamilyGoodbye, `(final|last) (goodbye|farewell|message|words|note|letter)`},
	{FamilyGoodbye, `(saying|say|said|says|to say) {f}(my )?(goodbye|goodbyes|farewell|farewells)`},
	{FamilyGoodbye, `(written|wrote|writing|finished|left) {f}my (note|notes|letter|letters|last letter|last note)`},
	{FamilyGoodbye, `(gave|given|giving|give) (my|all my|away my) (cat|dog|pets|pet|things|stuff|belongings|books|plants|guitar|clothes) (to|away)`},
	{FamilyGoodbye, `(take care of|look after|feed|walk) (my|the) (cat|dog|pets|kids|children|plants|fish|rabbit) (for me|when i am gone|after i am gone|after i go|when i go|once i am gone)`},
	{FamilyGoodbye, `(wanted|want|need|needed|came|had|here|going|time) to say {f}(goodbye|farewell|my goodbyes|goodbye to (you|you all|everyone|everybody|all of you|the group|my group))`},
	{FamilyGoodbye, `(wrote|written|writing|write|left|leaving|finished) {f}(a|my|the) (suicide note|goodbye letter|goodbye note|last letter|final letter|note for|letter for|letters for|goodbye letters)`},
	{FamilyGoodbye, `(wrote|written|writing|write|left|leaving) (a |my |the |some )?(notes|letters|note|letter) for (my family|everyone|everybody|my kids|my children|my parents|my partner|my husband|my wife|my friends|them all|the people i love|when i am gone|after i am gone|after i go)`},
	{FamilyGoodbye, `(giving|gave|give|given) (away )?(away|all) (my|of my) (things|stuff|belongings|possessions|clothes|cat|dog|pets|books|plants)`},
	{FamilyGoodbye, `(putting|put|getting|got|sorting|sorted|settling|settled) (my |all my )?(affairs|things|life) in order`},
	{FamilyGoodbye, `(making|made|wrote|written|writing|updated|updating) (a|my) will`},
	{FamilyGoodbye, `(thank you|thanks) for everything (and )?(goodbye|bye|farewell)`},
	{FamilyGoodbye, `(i am|so|really|truly) sorry for everything`},
	{FamilyGoodbye, `(tell|please tell|let) (my|them|everyone|her|him) {gap}(i love|i am sorry|i loved|goodbye)`},

	// Disappearing for ever; not being around much longer.
	{FamilyDisappear, `(disappear|disappearing|vanish|vanishing|go away|going away|leave|leaving|gone) {f}(forever|for good|permanently|for ever|and never come back|and not come back)`},
	{FamilyDisappear, `(will not|not going to|am not going to|do not plan to|do not think i will|may not|might not|probably will not) {f}be (around|here|alive) {f}({more}|tomorrow|next week|for long|by tomorrow|by the next session|by next week|for the next session|much longer|next time|at the next session)`},
	{FamilyDisappear, `(you|they|everyone|nobody|no one|you all) (will not|will never|would not|will not have to|will never have to|do not have to) {f}(see|hear from|deal with|worry about) me (again|ever again|{more}|after tonight|after today)`},
	{FamilyDisappear, `(last time|the last) (you|anyone|anybody|they) (will )?(hear|see|hear from) (from )?me`},
	{FamilyDisappear, `(soon|tomorrow|tonight) (i will|i am going to|i will be|i am) {f}(be )?gone`},
	{FamilyDisappear, `(will be|be) gone (soon|forever|for good|by tomorrow|by morning|tonight|before)`},
	{FamilyDisappear, `gone by the time (you|anyone|anybody|they|someone|somebody) (read|reads|see|sees|get|gets|find|finds) (this|it|my message)`},
	{FamilyDisappear, `by the time (you|anyone|anybody|they|someone|somebody) (read|reads|see|sees|get|gets|find|finds) (this|it|my message) {gap}(gone|dead|not be here|not be around|be over|done it)`},
	{FamilyDisappear, `(or|not|nor|never) (at )?any (more )?(session|sessions|of them|meeting|meetings)`},
	{FamilyDisappear, `(not|no longer) (be|being) (around|here) (for )?({more}|long|much longer|tomorrow)`},
	{FamilyDisappear, `(this|today|tonight) (is|was) (my|the) last (day|night|session|time|check in|message)`},
	// Not safe, a danger to themselves.
	{FamilyUnsafe, `(i am|i feel|feel|feeling|i do not feel|do not feel|never feel|not feeling) {f}(not safe|unsafe)`},
	{FamilyUnsafe, `(i am|i feel|feel|feeling) {f}(not|no longer) safe`},
	{FamilyUnsafe, `(not|never|no longer) feeling {f}safe`},
	{FamilyUnsafe, `(not|never|do not feel|no longer) safe (with|around|from|by) (myself|me)`},
	{FamilyUnsafe, `(cannot|can not|could not|do not think i can|not sure i can|unable to|struggling to|will not be able to) {f}(keep|stay|be|keeping) {f}(myself )?safe`},
	{FamilyUnsafe, `(do not|cannot|can not|no longer) {f}trust myself`},
	{FamilyUnsafe, `(scared|afraid|frightened|terrified|worried) (of|about) (myself|what i (might|will|could|am going to|would|may) do)`},
	{FamilyUnsafe, `(danger|threat|risk) to (myself|me|my life)`},
	{FamilyUnsafe, `(i am|im|am) {f}(in crisis|having a crisis|in a crisis)`},
	{FamilyUnsafe, `(help me|please help|need help|i need help) {gap}(scared of myself|not safe|going to do something|might do something|cannot stop myself)`},
}

// An idiom is an everyday phrase that uses the lexicon's words
// harmlessly. Each one holds its harmless completion ("dying to SEE
// YOU", "cut my finger CHOPPING ONIONS"), never a bare fragment such as
// "with a" or "on my": a fragment hides risk ("end it with a gun"). An
// idiom keeps a match out only when the match lies wholly inside it and
// no cue of risk appears elsewhere in the message (see Examine).
type idiom struct {
	pattern string
	// triggers are words that make the idiom match. The robustness test
	// adds each to every risk line of both sets: every one must still
	// alert, so that no idiom can hide risk beside it.
	triggers []string
}

var idioms = []idiom{
	{`dying to (see|meet|know|hear|try|go|get|tell|read|watch|eat|have|visit|find out|show|share|catch up|talk|start|join|leave for)`, []string{"dying to see you", "dying to know"}},
	{`(killing|killed|smashing|smashed|slaying|slayed|slay|crushing|crushed|nailing|nailed) it`, []string{"killing it", "nailed it"}},
	{`(is|was|are|were|looks|looked|sounds|sounded|smells|tastes|tasted) to die for`, []string{"was to die for"}},
	{`(die|died|dying|dead|die of|dying of) (laughing|laughter|of laughter|of embarrassment|of boredom|of cringe|from cringe|of shame|of heat|of thirst)`, []string{"died laughing", "dying of embarrassment"}},
	{`(i am|that is|that was|literally|lmao|lol|omg) dead (lol|lmao|haha|hahaha|omg|xd)`, []string{"i am dead lol"}},
	{`(lol|lmao|haha|hahaha|omg) (i am|im) dead`, []string{"lmao im dead"}},
	{`(dead|deadly) (tired|serious|on time|center|centre|end|set on|ringer|heat|last|easy|simple|quiet|funny|beat|weight|lift|bolt)`, []string{"dead tired", "deadly serious"}},
	{`(phone|battery|laptop|computer|car|plant|plants|tablet|charger|headphones|tv|wifi|printer|fish|goldfish|hamster|mouse|keyboard|remote|torch|flashlight|bulb|kindle|ipad|iphone|fridge|boiler|engine|radio|speaker|camera|watch|clock|basil|cactus|tomatoes|orchid|succulent) ([a-z]+ )?(is |was |has |had |just |finally |totally |completely |all )*(dead|died|dying|passed away)`, []string{"my phone died", "and my battery is dead", "the plants are all dying"}},
	{`(my|our|his|her|their|the) (grandma|grandmother|grandpa|grandfather|grandad|granddad|nan|nana|gran|granny|mum|mom|mother|dad|father|uncle|aunt|auntie|cousin|friend|neighbour|neighbor|dog|cat|pet|rabbit|hamster|fish|horse|bird|parrot|teacher|boss|colleague|coworker|brother|sister|husband|wife|partner|son|daughter|grandparents|parents|character) ([a-z]+ )?(died|passed|passed away|is dying|was dying|has died|had died|is dead|was dead|killed himself|killed herself|ended his life|ended her life|took his life|took her life|took his own life|took her own life)`, []string{"my grandma passed away", "my dad died when i was young"}},
	{`(killing|kill|killed|kills) (time|the time|the mood|the vibe|the lights|the engine|the music|two birds|weeds|the bugs|a bottle)`, []string{"killing time", "kill the lights"}},
	{`(this|that|the|my|your|his|her) (heat|traffic|commute|headache|migraine|exam|job|noise|wait|suspense|music|song|joke|show|movie|shoes|boss|kid|kids|homework|hangover|back|neck|feet|knee|knees|tooth|workout|week|cold) (is|was|are|were) ([a-z]+ )?(killing|going to kill|gonna kill|about to kill) (me|us)`, []string{"this heat is killing me", "my knees are killing me"}},
	{`(mum|mom|mother|dad|father|boss|wife|husband|partner|teacher|she|he|they|coach|landlord|manager|sister|brother|gran|nan|grandma) (will|would|is going to|going to|gonna|is gonna) (kill|murder) me`, []string{"my mum is going to kill me", "my boss will kill me"}},
	{`(i would|i could|would|could) (kill|murder) for (a|an|some|that|this|another|one) (coffee|tea|drink|beer|pizza|nap|holiday|sandwich|burger|cake|biscuit|break)`, []string{"i would kill for a coffee"}},
	{`(bored|scared|worried|frightened|tickled|starved|freezing|frozen) to death`, []string{"bored to death", "scared to death"}},
	{`(let us|we should|we will|we can|we could|shall we|should we|can we|we have to|we need to) (end|finish|stop|wrap up|call) (it|this|things|the session|the meeting|the call) (here |there |now )?(for today|for now|for the day|for this week|and pick up|and carry on|and continue|until next|till next|on a high note)`, []string{"let us end it here for today", "we should end it there and pick up next week"}},
	{`(end|ends|ending|ended) (it|things) (with|between) (him|her|them|us|me|my (boyfriend|girlfriend|partner|husband|wife|ex|bf|gf|fiance|fiancee|date|therapist|counsellor|counselor|job|landlord|flatmate|roommate|boss|coach|gym|dentist|doctor))`, []string{"ending it with him", "ended things with her boyfriend", "end it with my therapist"}},
	{`(cut|burnt|burned|scratched|scraped|grazed|hurt|nicked) myself (shaving|cooking|chopping|ironing|gardening|baking|climbing|skating|falling off|at the gym|playing football|on the (kettle|oven|stove|hob|iron|pan|tray|grill|glass|can|tin|fence|nail|door|paper|bramble|thorn|knife)|by accident|accidentally)`, []string{"cut myself shaving", "hurt myself at the gym", "burnt myself on the kettle"}},
	{`(cut|cutting|chop|chopping|slice|slicing|burn|burnt|burned|burning|scratched|scraped|grazed|nicked) ([a-z]+ )?(my|the|his|her) (finger|fingers|thumb|tongue|hair|fringe|bangs|nails|toast|dinner|onion|onions|rice|cake|bread|steak|chicken|veg|vegetables|carrots|food|pizza|pie|knee|elbow|lip)( (while|on|cooking|chopping|shaving|gardening|ironing))?`, []string{"cut my finger chopping onions", "burned my toast", "cutting my hair"}},
	{`(cut|cuts|burnt|burned|scratched|scraped|grazed|hurt) (my|his|her) (arm|arms|hand|leg|legs|wrist|foot|back|shoulder|ankle) (on|against) (a|the) (nail|fence|glass|oven|stove|kettle|iron|door|tin|can|bramble|thorn|thorns|barbed wire|rock|rocks|table|counter|bike|grill|tray)`, []string{"cut my arm on the fence", "burned my hand on the oven"}},
	{`(cut|cutting|cuts) (my|the|our) (hair|fringe|bangs|nails|grass|hedge|lawn|losses|ties|budget|spending|sugar|carbs|hours|costs|coupons)`, []string{"cutting my losses", "cut my hair"}},
	{`((been|keep|kept|keeps|started|start|still|am) )?(cutting|cut|cuts) (back|down) on`, []string{"cutting back on coffee"}},
	{`((been|keep|kept|keeps|started|start|still|am) )?(cutting|cut|cuts) (corners|it close|class|classes|school|ties|in line|the cake|the grass|the lawn|the hedge|costs)`, []string{"i keep cutting corners"}},
	{`(my|the|a|our|his|her) (hair|fringe|nails|grass|lawn|hedge|budget|hours|pay|salary|wages|funding) (cut|cuts|trimmed)( (today|yesterday|last night|again|this morning|this week))?`, []string{"got my hair cut today", "the hedge cut again"}},
	{`(burnt|burned|burn|burning) (out|the midnight oil|the toast|dinner|the dinner|calories|bridges|my bridges)`, []string{"burnt out"}},
	{`(hurt|hurting|hurts) (my|his|her) (back|knee|ankle|wrist|foot|feet|shoulder|neck|hand|arm|leg|hip|feelings) (at|playing|while|when|lifting|running|doing|on|in|from)`, []string{"i hurt my back lifting boxes"}},
	{`(punch|punching|hit|hitting) (the )?(gym|books|road|hay|sack|snooze|bag|jackpot|send)`, []string{"hitting the gym later"}},
	{`(i could|could) (sleep|nap) (for )?(forever|for a week|for days|for a year|all weekend|for ever) (this weekend|lol|lmao|haha|after (this|that|today|work|the shift|the week))`, []string{"i could sleep forever this weekend lol"}},
	{`(will not|wont|not going to|will not be|may not|might not) be (around|here|at) (next|this|on|for) (week|weekend|tuesday|monday|wednesday|thursday|friday|saturday|sunday|session|the session|the meeting|a while|a few weeks|christmas|the holidays) (because|as|since|due to) (i am|of|my|the|a|we|work)`, []string{"i will not be here next tuesday because i am at a wedding"}},
	{`(disappear|disappearing|vanish|vanishing|go away|going away|gone|leave|leaving|be away) (for|to) (a week|the weekend|a few days|a bit|a while|a month|two weeks|holiday|vacation|camp|the summer|the holidays|the country|work|a trip|spain|france|my parents|my mum|my moms|the beach|the mountains|uni|university)`, []string{"gone for a week on holiday", "be away for the weekend"}},
	{`((i )?(want|wanted|wanna|would love|like|love|going) to )?(disappear|disappearing|vanish|hide|hiding) (under|into|in) (my|the|a) ([a-z]+ )?(duvet|blanket|blankets|covers|bed|book|books|hoodie|crowd|garden|woods|hobby|work|music|game|games)`, []string{"disappear into a good book", "disappear under my duvet"}},
	{`(no|not any|lost all) (point|hope) (in |of )?(arguing|asking|waiting|explaining|calling|rushing|fixing it|buying|complaining|winning|getting tickets)`, []string{"no point arguing with him", "no hope of getting tickets"}},
	{`((what is|whats)|(see|get|understand) ([a-z]+ )?) the point (of|in) (this meeting|this exercise|the meeting|arguing|asking|this app|this feature|homework)`, []string{"what is the point of this meeting"}},
	{`(cannot|can not|could not) (take|handle|bear|stand) (this|the) (heat|noise|cold|suspense|smell|traffic|music|rain|weather)`, []string{"i cannot take this heat"}},
	{`(done|finished|over it) with (work|school|uni|the week|this week|today|my shift|the project|the exam|exams|the assignment|dinner|lunch|this job|my homework|homework|the day|cleaning|the laundry)`, []string{"i am so done with work today", "done with my homework"}},
	{`(tired|exhausted|sick) of (waiting|this weather|the rain|the heat|work|my job|my commute|this commute|school|the noise|cooking|cleaning|winter|the cold|zoom|meetings|this show|the news|being sick|being ill|this cold|my cold|queues|traffic)`, []string{"tired of this weather", "sick of waiting for the bus"}},
	{`burden of (proof|care|the debt|taxes|paperwork|responsibility)|(tax|financial|admin|paperwork|care|caring) burden`, []string{"the burden of proof is on them"}},
	{`(better|happier|fine) (off )?without (sugar|coffee|alcohol|caffeine|twitter|facebook|instagram|tiktok|social media|my ex|that job|this job|that app)`, []string{"better off without sugar"}},
	{`(suicide|suicidal) (squad|prevention|awareness|hotline|helpline|doors|mission|drills)`, []string{"suicide squad", "suicide prevention training"}},
	{`(jump|jumping|jumped) (off|from|into|onto|on) (the|a) (bus|train|boat|bed|sofa|couch|diving board|wall|bandwagon|trampoline|swing|horse|bike|stage|pool)`, []string{"jumped off the diving board", "jumped on the train"}},
	{`(overdose|overdosed|overdosing) (on|of) (coffee|caffeine|sugar|chocolate|netflix|tv|work|sunshine|cake|candy|sweets|carbs|pizza|cheese|memes|tiktok|cute|cuteness|vitamin)`, []string{"overdosed on coffee"}},
	{`(took|take|taking|swallow|swallowed) (all|all of) (my|the|these|those) (vitamins|advice|notes|courses|classes|photos|pictures|bags|boxes|exams)`, []string{"took all my vitamins"}},
	{`(over my dead body|drop dead gorgeous|dead in the water|dead to me|dead of night|dead or alive|dead as a doornail|beat a dead horse|beating a dead horse|flogging a dead horse|knock em dead|knock them dead|to the death|death metal|death valley|death star|death note|the walking dead|dead man walking|til death|till death|the death of me|slept like the dead)`, []string{"over my dead body", "the death of me"}},
	{`(last|final) (day|week|shift|exam|class|lesson|assignment) (at|of|in|before) (work|school|uni|university|college|the job|my job|term|the term|the holiday|holiday|camp|the course|the semester|the office|this job)`, []string{"my last day at work is friday"}},
	{`((i )?(wanted|want|need|needed|have|had|going|will have|time) to )?(say|said|saying|says) goodbye to (summer|winter|my old (car|phone|house|flat|job|laptop|bike|sofa|school|desk|office|team|boss|apartment|neighbours)|the old (house|flat|car|office|sofa|year)|my job|our house|the house|the flat|the apartment|my car|the city|london|paris|my hair|my beard|sugar|coffee|alcohol|booze|caffeine|smoking|my twenties|my thirties|the year)`, []string{"saying goodbye to summer", "say goodbye to caffeine"}},
	{`(goodbye|bye|farewell) (for now|till next|until next|see you|see ya|and see you|party|drinks|lunch|dinner|brunch)`, []string{"goodbye for now, see you next week"}},
	{`(giving|gave|give) away (all |some of |most of )?(clothes|books|toys|the kittens|kittens|puppies|old|some old|my old|baby clothes|the old)`, []string{"giving away clothes i do not wear"}},
	{`we (will|would|are going to|have to|will have to|are gonna|might have to) {f}(have to )?say goodbye (soon|to (him|her|them|it))`, []string{"we will have to say goodbye soon"}},
	{`((i )?(wanted|want|need|needed|have|had|going|will have|time) to )?(say|said|saying|had to say|have to say) goodbye to (my|our|his|her|the) (dog|cat|pet|rabbit|hamster|horse|grandma|grandmother|grandpa|grandfather|nan|gran|mum|mom|dad|uncle|aunt|neighbour|neighbor)`, []string{"had to say goodbye to my dog"}},
	{`(the|my|your|our) will (power|to win)`, []string{"the will power"}},
	{`(killing|killed|kill|crack|cracking) myself (laughing|with laughter|up)`, []string{"killing myself laughing"}},
	{`(die|died|dying) inside (when|every time|whenever|a little)`, []string{"i just die inside when he smiles"}},
	{`(plan|way|method) (to|for) (do it|end it) (better|right|properly|faster|in the meeting|at work|next time|with the team)`, []string{"a plan to do it better"}},
	{`(the|my) (laundry|dishes|homework|washing|ironing|cleaning|taxes|assignment|essay|report|shopping|groceries|exercises|worksheet) (i will|i can|i am going to|i shall) do it (tomorrow|later)`, []string{"the homework i will do it tomorrow"}},
	{`(hang|hanging) out`, []string{"hang out after the session"}},
	{`jump (on|into|in|at) (the|a) (bandwagon|pool|trampoline|shower|queue|car|taxi|call|game|conversation|chance|opportunity)`, []string{"i want to jump in the pool"}},
	{`(have|got|made|making|there is) {f}(a|my) plan (for (the|this|next|my|our|a|dinner|lunch|breakfast|work|school|christmas|the holidays|saturday|sunday|monday|tuesday|wednesday|thursday|friday)|to (meet|see|visit|fix|study|cook|clean|save|buy|start|call|ask|talk|tell|learn|move|travel|write|read|run|exercise|eat|relax|rest|sort|pay|paint|get fit|lose weight))`, []string{"i have a plan for the weekend", "i made a plan to study"}},
	{`(have|got) it (all )?(planned|worked out|figured out)( out)? for (the|my|our|a|next|this) (party|wedding|trip|holiday|weekend away|birthday|meeting|presentation|move|dinner|event|day out|surprise|exam|interview|garden|kids|christmas)`, []string{"i have it all planned out for the party"}},
	{`(i am|i feel|feel|feeling) {f}(done|finished) (with (work|school|uni|the week|today|my shift|the project|the exam|exams|the assignment|dinner|lunch|my homework|homework|the day|cleaning|the laundry|the shopping|the essay|the report|my essay|the washing|the dishes|(this|the) (rain|weather|heat|cold|snow|week|job|commute|traffic|noise|course|class|term|project|essay|book|show|series|game))|cooking|eating|shopping|packing|cleaning|studying|working|for (the day|the week|the evening))`, []string{"i am done with my homework", "i am finished for the day"}},
	{`(cannot|can not|could not) (go on|carry on) ((a|the|this|that) (trip|holiday|vacation|date|ride|walk|run|course|call|stage|tour|website|site|app|computer|internet|list|waiting list|bus|train|boat|plane)|holiday|vacation|with the (meeting|call|session|project|trip))`, []string{"i cannot go on the trip"}},
	{`(cannot|can not|could not) (do this|do it|make it|come|make this) (on|next|this) (week|weekend|afternoon|evening|morning|monday|tuesday|wednesday|thursday|friday|saturday|sunday)$`, []string{"i cannot do this on tuesday"}},
	{`(written|wrote|writing|finished) (up )?my (notes|revision notes|lecture notes) (for|on|from|in) (the (exam|lecture|meeting|class|test|course|module|seminar)|class|school|uni|work)`, []string{"i wrote my notes for the exam"}},
	{`(written|wrote|writing|finished) (up )?(my|a|the) (letter|complaint|email|cover letter|application) to (my|the) (landlord|council|bank|gp|mp|school|insurer|insurance|employer|boss|manager|energy company|doctor|editor)`, []string{"i wrote a letter to the council"}},
	{`(burnt|burned|burn|burning|overcooked) (the|my|our|his|her|some) (pasta|rice|toast|dinner|lunch|breakfast|pizza|cake|bread|sauce|onions|garlic|eggs|steak|chicken|sausages|chips|popcorn|food|pan|pot|biscuits|cookies|pie)`, []string{"i burnt the pasta"}},
	{`((i am |am )?(going to|about to) )?(jump|jumping|jumped|hop|hopping) (in|into|on|onto) (the|a) (shower|bath|call|meeting|car|bus|train|taxi|uber|pool|sea|lake|queue)`, []string{"going to jump in the shower"}},
	{`(take|takes|taking|took|took me|taking me|wait|waited|waiting) (forever|for ever)|(forever|for ever) (grateful|thankful|young|home|and ever|in debt)|(friends|best friends|bffs) (forever|for ever)`, []string{"this queue is taking forever", "forever grateful"}},
	{`(is|was|tastes|tasted|smells|smelled|feels|felt|looks|looked|sounds) (like )?(heaven|heavenly|pure heaven)|(heaven|heavens) (knows|forbid|sake)|(thank|good|for) (heaven|heavens)|(seventh|7th) heaven`, []string{"that cake was heaven", "thank heavens"}},
	{`(the )?(meeting|class|lesson|session|exam|exams|shift|week|day|party|game|match|holiday|holidays|summer|winter|rain|storm|season|term|call|trip|film|movie|show|concert|wedding|worst|heatwave|lockdown|festival|tour|training|course|interview|semester) (is|will be|was|should be|is going to be|to be|are|were) (finally |nearly |almost |all |already )*over( soon| now| at| by| for| in| thank| phew| yay| lol| haha)?`, []string{"the meeting will be over soon"}},
	{`(leftover|leftovers|over the moon|over and over|game over|over here|over there|come over|came over|coming over|get over it|hand over|handover|over the weekend|over the top|all over the place|over the phone|over coffee|over lunch|over dinner)`, []string{"over the moon"}},
	{`(note to self|(took|take|taking|made|make|making) (a |some )?notes?|sick note|doctors note|post it notes?|thank you (note|notes|card|letter)|voice note|voice notes|(a|the) note (about|on|for) (the )?(bins|parking|meeting|rota|fridge|door|milk|delivery|homework|shopping))`, []string{"note to self", "left a note about the bins"}},
	{`(cover letter|letter of (recommendation|reference)|love letter|newsletter|letter from (the|my) (bank|council|school|gp|landlord|hospital|dentist))`, []string{"writing my cover letter"}},
	{`(rest in peace|rip) (to )?(my |our |the |his |her )?(phone|laptop|diet|wallet|plans|plant|weekend|sleep|sleep schedule|bank account|dignity|car)`, []string{"rip my phone"}},
	{`(no point|no reason) (in )?(going|driving|rushing|buying|booking|calling|asking|arguing|getting|worrying about it|coming in)`, []string{"no point going in the rain"}},
	{`(give up|giving up|gave up|given up) (on )?(sugar|coffee|caffeine|alcohol|booze|drinking|smoking|meat|chocolate|carbs|crisps|social media|twitter|facebook|instagram|tiktok|the gym|running|dairy|gluten|my seat|the crossword|the puzzle|on the puzzle|on the crossword|for lent|trying to parallel park|on that show|on the show|on the book|on the diet)`, []string{"i gave up sugar for lent"}},
	{`(cut|cuts|cutting) (the )?(cake|bread|grass|lawn|hedge|ribbon|cheese|pizza|onions|vegetables|veg|paper|fabric|wood|wire|cable|budget|costs|price|prices)`, []string{"cutting the cake"}},
	{`(dead|dying) (battery|phone|plant|plants|flowers|leaves|end job|line|zone|air|skin cells|pixel|link|links)`, []string{"dead battery"}},
	{`(nobody|no one|noone) would (care|notice|know|mind|guess|believe|want) (about |if )?(my|the|a|it|that|this) (cooking|singing|dancing|outfit|hair|cake|mess|typo|typos|song|joke|lateness|shoes|garden|drawing)`, []string{"nobody would care about my cooking"}},
	{`(would|i would|id) (rather|sooner) (die|be dead) than (sing|eat|wear|watch|listen to|dance|do karaoke|speak in public|be seen|get up early|run a|admit|lose to|miss the)`, []string{"i would rather die than sing karaoke"}},
	{`((i |we )?(have|got|made|making|had) )?(a|my|the|our) plan (for|to) (the|this|next|my|our) (garden|kitchen|house|flat|room|bedroom|bathroom|holiday|trip|party|week|weekend|day|meeting|project|essay|dinner|budget|wedding|move)`, []string{"i have a plan for the garden"}},
	{`(that|the|this|my) (exam|meeting|workout|class|lesson|week|day|run|hike|commute|shift|boss|kids|test|interview|gym|spin class|game|match) (killed|nearly killed|almost killed|has killed|is killing) me( lol| lmao| haha| off)?`, []string{"that exam killed me lol"}},
	{`(laughed|laughing|laugh) so (hard|much) i (nearly|almost|could have|could of) (died|cried|peed)|(i )?(nearly|almost) died (laughing|of laughter|of embarrassment)`, []string{"i laughed so hard i nearly died"}},
	{`drowning in (paperwork|work|emails|email|laundry|homework|assignments|admin|marking|deadlines|washing|toys|leaves|snow)`, []string{"drowning in paperwork"}},
	{`if i (have to|need to) (sit through|listen to|hear|watch|attend|read|do) (another|one more) (meeting|email|song|episode|zoom call|call|report|lecture|presentation|spreadsheet) (i will|i would|i am going to|i might) (die|scream|cry)( lol| haha| lmao)?`, []string{"if i have to sit through another meeting i will die"}},
	{`((the|that|this|my|your|his|her|our) (movie is |film is |show is |books |book is )?(joke|jokes|exam|exams|workout|meeting|ending|film|movie|show|class|lesson|run|hike|commute|shift|week|day|test|interview|gym|game|match|heat|traffic|suspense|noise|wait|boss|kids|homework|hangover|back|knees|feet|spin class|deadline|deadlines|essay|project|course)|work|school|uni|mondays|monday) (is |was |are |were |has |have |nearly |almost |really |totally |literally |just |honestly )*(killing|killed|kills) (me|us)( lol| lmao| haha| this week| today| off| every time)?`, []string{"that joke killed me", "work is killing me this week"}},
	{`(i )?(nearly|almost) (died|had a heart attack) when (i|he|she|they|we|my|the|it)`, []string{"i nearly died when i saw the bill"}},
	{`(the |a )?(character|villain|hero|heroine|main character|protagonist|guy|girl|woman|man|dad|mum|mom|detective|dog) (in|on|from) (the|a|this|that) (show|film|movie|book|series|game|play|episode|novel|documentary) ([a-z]+ )?(killed himself|killed herself|killed themselves|died|dies|is killed|gets killed|was killed)`, []string{"the character in the show killed himself"}},
	{`(bridge (club|night|game|games|tournament|player|players|lessons|class|evening|afternoon|partner))|((play|playing|played|plays) bridge)`, []string{"the bridge club on thursday"}},
	{`dead on (my|our|his|her|their) feet`, []string{"dead on my feet"}},
	{`(meds|medication|medications|prescription|pills|tablets) (review|check|appointment|change|changes|reminder|reminders|refill|side effects)|(start|started|starting|new|changed|changing|switched|switching|trying|tried|renew|renewed) (a |my )?(new )?(medication|meds|prescription|dose)`, []string{"my meds review", "i started a new medication"}},
	{`(the )?(dog|cat|character|hero|villain|mum|dad|horse|main character) (died|dies|dead) (at the end|in the end|in the film|in the movie|in the book|in the show|in the series|in the last episode)`, []string{"the dog died at the end"}},
	{`(walk|walked|walking|cycle|cycled|run|ran|running|drive|drove|driving) (by|over|across|under|along|past) the (bridge|river)`, []string{"walk by the bridge"}},
	{`(at |by |until |till |before |after )?the end of (the|this|next|last|our|each|every) (session|sessions|month|week|day|year|term|semester|film|movie|book|series|meeting|call|shift|holidays|summer|garden|queue|course|programme|program|season)`, []string{"at the end of the month"}},
	{`thank you (so much |all )?for everything (you do|you have done|you all do|you all have done|this group does|today|this week)`, []string{"thank you for everything you do"}},
	{`(cut|cuts|cutting) (the call|the line|out|off the call|the meeting short)|(call|line|video|wifi|signal|sound) (cut|cuts|keeps cutting) (out|off)`, []string{"i cut the call by accident"}},
	{`(a |the )?dead (mouse|mice|bird|birds|rat|spider|fly|flies|wasp|bee|fish|leaves|flowers|plant|hedgehog|squirrel|pigeon|slug)`, []string{"a dead mouse"}},
	{`((my|his|her|our|their) [a-z]+ is|a|the) funeral (is|was|will be) (on|next|last|today|tomorrow|this|at)|(going|went|go|been) to (a|the|my [a-z]+ is|his|her) funeral`, []string{"my friend is funeral is on friday", "i went to a funeral"}},
	{`(take|took|taking|forget|forgot|forgetting|remember|remembered|missed|miss|collect|collected|pick up|picked up) (to take )?my (meds|pills|tablets|medication|medicine|dose|prescription) (with|after|before|at|in the|this morning|every|on time|from|today)`, []string{"i will take my meds with dinner"}},
	{`(i am |am )?(so |just )?(done|finished) trying to (fix|sort out|figure out|set up|reset|update) (the|my|this|that) (printer|wifi|laptop|computer|phone|car|boiler|tv|app|form|website|router|bike|washing machine)|(i am |am )?(so )?(tired|sick) of fighting (with|over|about) (the council|the landlord|my landlord|the bank|the insurance|parking|the school|the kids|my brother|my sister)|(i am |am )?a lost cause (at|with|when it comes to) (cooking|baking|maths|math|sport|sports|football|drawing|singing|dancing|diy|gardening|golf|tennis|languages|spelling|parking|technology|computers)`, []string{"i am done trying to fix the printer", "tired of fighting with the council"}},
	{`crash (early|out|on the sofa|on the couch|at a friends|at my mums|at my mates|for the night)|(it is )?time to go (home|to bed|to sleep|to work|shopping|out|to the shops)|said what i needed to say to (my|the|him|her|them)`, []string{"going to crash early", "time to go home", "said what i needed to say to my boss"}},
	{`nothing {f}matters (more|as much|less) (than|to me than)`, []string{"nothing matters more than family"}},
}

// cues are words of risk on their own — a method, a time, a plan,
// self-harm, hopelessness, a goodbye, death: when an idiom explained every
// match of the lexicon but one of these stands elsewhere in the message,
// the message does not read harmlessly, and it alerts.
const cues = `(die|dying|dead|death|suicide|suicidal|kill myself|end my life|end it all|alive|not wake up|never wake up|` +
	`gun|rope|noose|{pills}|knife|blade|blades|razor|razors|bridge|roof|ledge|overdose|hang myself|poison|bleach|` +
	`tonight|midnight|right now|when i get home|after everyone|before anyone|plan|planned|note|letter|goodbye|goodbyes|farewell|` +
	`cut myself|cutting myself|cut again|cutting|bleed|bleeding|blood|scars|self harm|hurt myself|hurting myself|burn myself|` +
	`no point|pointless|hopeless|worthless|give up|giving up|cannot go on|cannot do this|no way out|trapped|cannot take it|burden|better off without me|` +
	`never come back|not safe|danger to myself)`

// near are the words close to risk that the second net looks for: a
// message with any of them, outside every idiom, alerts although no
// pattern above matched (FamilyNear), because lexical rules never catch
// every phrasing and "when in doubt, it alerts". Each is chosen for how
// people at risk write, not for how often it is used harmlessly; the
// idioms above are the harmless shapes that keep them out.
const near = `(die|died|dies|dying|dead|death|deaths|deathly|suicide|suicidal|kill|killing|killed|` +
	`gone|be gone|i will be gone|when i am gone|after i am gone|gone forever|gone for good|gone by|not be here|not be around|not here next|be around by|still be around|be around much|` +
	`be over|all over for me|it is over|all be over|want it over|over soon|over tonight|the end|my end|end of the road|end of the line|end things|ending things|the night i|it is time|this is it|` +
	`pointless|hopeless|worthless|meaningless|no point|the point|no reason to|nothing to live|nothing left|empty inside|feel empty|numb|` +
	`give up|giving up|gave up|given up|burden|problem for anyone|waste of|better off|better without|better if i|easier if i|easier for everyone|` +
	`goodbye|goodbyes|farewell|goodnight forever|last message|remember me|miss me|do not be sad|take care of (my|the) (cat|dog|kids|children)|` +
	`note|notes for the people|letter|letters|my will|insurance money|given away|giving away|gave away|give away my|` +
	`{pills}|overdose|overdo it|sertraline|fluoxetine|citalopram|mirtazapine|amitriptyline|diazepam|lorazepam|zopiclone|quetiapine|lithium|oxycodone|morphine|fentanyl|heroin|the cabinet|how many|` +
	`knife|knives|rope|noose|gun|guns|pistol|rifle|shotgun|bridge|tracks|train tracks|fast train|in front of|cliff|ledge|rooftop|high place|jump|jumping|car park|multistorey|` +
	`cut|cuts|cutting|slit|wrist|wrists|burn|burning|burnt|burned|cigarettes|bleed|bleeding|bled|blood|scars|punch|punching|hurt myself|hate myself|` +
	`heaven|the other side|afterlife|be with (my|our) (mum|mom|dad|nan|gran|grandma|grandad|brother|sister|son|daughter|friend|wife|husband) again|where (my|our) [a-z]+ went|rest in peace|rip|` +
	`forever|permanently|for good|disappear|disappearing|vanish|not wake up|never wake up|sleep forever|alive|exist|existing|` +
	`cannot anymore|cannot do this|cannot cope|cannot take it|cannot handle|cannot go on|cannot carry on|done with everything|tired of everything|out of everything|want out|` +
	`stop breathing|just not be|not make it to|not make it through|be around for|it is my time|my time to go|time for me to go|join (my|our) [a-z]+|tired of being|sick of being|see myself (getting|growing|being|living|making)|way out|something permanent|permanent solution|urge to|enough to do it|swallow the lot|over the door|cliff|cliffs|how long it takes|bleeds|head against the wall|hit my head|problem for everyone|take up space|not your fault|said what i needed|said bye|say bye|erased|what i will do|stop me|do life|all to end|crash|crashes|just stop|sui|worked out how|how i would do it|how to do it|exactly how|next train|car running|exhaust|hosepipe|bleach|set a date|is the day|the day i|feel pain|deserve to hurt|deserve pain|punish myself|falling apart|what is the use|no use|feel nothing|nothing anymore|a weight on|drain on|ruin everything|deserve better than me|love you all|sorry for everything|tell my [a-z]+ i am sorry|look after my|take care of my|my affairs|never come back|run away|find me|do something (stupid|bad|drastic)|i will do something|might do something|be safe|not ok (at all|anymore|tonight|right now)|not okay (at all|anymore|tonight|right now)|` +
	`methods|researching|funeral|will not matter|matter anymore|none of this|tried once|tried before|nobody can stop me|thank you for everything|kind to me|do it (on )?(monday|tuesday|wednesday|thursday|friday|saturday|sunday|tonight|tomorrow|this weekend)|easiest way|way to go|picked a date|decided|do the same|do anything stupid|stupid|attempt|attempted|attempts|on purpose|crashing|crash the car|hit me|commit|drowning|no way out|tonight is the night)`

// nearEnd are words close to risk only when a message ends with them ("i
// am not ok", "i should just go"): the same words go on harmlessly ("not
// ok with how the meeting went", "go home").
const nearEnd = `(i should just go|i am ready to go|i am not ok|i am not okay|not ok|help me|help me please|please help|someone help|counting down the days|i have everything i need|i have everything i need now|i almost did it|i came close|i nearly did it)( last night| yesterday| today| now)?$`
